export { type RedisCluster, type RedisClusterInit, redisCluster } from './cluster.js';
export { RedisConnection, type RedisConnectionInit } from './connection.js';
export { RedisDedupStore, type RedisDedupStoreInit } from './dedup-store.js';
export { RedisHub, type RedisHubInit } from './hub.js';
export { RedisSessionStore, type RedisSessionStoreInit } from './session-store.js';
