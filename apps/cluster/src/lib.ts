// What other apps reuse (the fault-injection drill): processes, nginx, Redis, waiting.
export { ASP_PATH, NAMESPACES, type RunningNode, startNode } from './cluster-node.js';
export { DEFAULT_HUB_HEARTBEAT_MS } from './config.js';
export { AFFINITY_COOKIE, type Cluster, type ClusterOptions, startCluster } from './cluster.js';
export { nginxBinary, type RunningNginx, startNginx } from './nginx.js';
export { runNodeProcess } from './node-process.js';
export { accepts, freePort } from './ports.js';
export { pingRedis } from './redis-probe.js';
export { type RedisServerOptions, type RunningRedis, startRedisServer } from './redis-server.js';
export { type NodeProcess, Supervisor, type SupervisorOptions } from './supervisor.js';
export { waitFor, within } from './wait.js';
