import { parseArgs } from 'node:util';
import { AgentClient, defineAgent } from '@agentsocket/core';
import { RedisConnection } from '@agentsocket/redis';
import { RedisStreamsQueue, TaskStore, TaskWorker } from '@agentsocket/tasks';
import { wsConnector } from '@agentsocket/ws';
import { swarmKeys, workTools } from './work-agent.js';

/**
 * One worker agent process of the swarm: takes `work` tasks from the queue on Redis, and is an
 * agent of the cluster (through nginx, team /team-swarm) serving the same tool live, so the
 * registry and the dashboard list it. Prints `ready <id>` once both are up. The demo SIGKILLs it.
 */
const { values } = parseArgs({
  options: {
    id: { type: 'string' },
    'redis-url': { type: 'string' },
    prefix: { type: 'string' },
    'ws-url': { type: 'string' },
    'lease-ms': { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '4' },
  },
});
const id = values.id ?? `worker-${process.pid}`;
const prefix = values.prefix ?? 'asp:';
const keys = swarmKeys(prefix);
const connection = new RedisConnection({ url: values['redis-url'], options: { enableAutoPipelining: true } });
const store = new TaskStore({ connection, prefix: keys.tasks });
const queue = new RedisStreamsQueue({ connection, prefix: keys.tasks, leaseMs: Number(values['lease-ms']) });
const tools = workTools(id, connection, prefix);
const agent = defineAgent({ name: id, version: '1.0.0', tools });
const worker = new TaskWorker({ agent, store, queue, id, concurrency: Number(values.concurrency) });
await worker.start();

const url = values['ws-url'];
const client = url
  ? new AgentClient({
      connect: wsConnector({ url }),
      name: id,
      namespace: '/team-swarm',
      tools,
      reconnect: { initialMs: 50, maxMs: 1000 },
      connectAttempts: Number.POSITIVE_INFINITY,
    })
  : undefined;
await client?.connect();
console.log(`ready ${id}`);

// The parent going away (its end of stdin closes) ends this worker too.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
