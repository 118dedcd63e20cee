import { RedisConnection } from '@agentsocket/redis';
import { RabbitQueue, RedisStreamsQueue, type QueueCapabilities, type TaskQueue, TaskStore } from '../src/index.js';
import { AMQP_URL, dropPrefix, freePort, REDIS_URL, uniquePrefix } from './env.js';

/** How a child process builds the same queue and store (see fixtures/worker-process.ts). */
export interface SpaceConfig {
  backend: 'redis' | 'rabbit';
  redisUrl: string;
  prefix: string;
  amqpUrl: string;
  queuePrefix: string;
  leaseMs: number;
}

/** One test's own keys and queues on a backend. Everything made through it is closed by dispose. */
export interface Space {
  readonly config: SpaceConfig;
  /** A queue instance with its own broker connection. */
  queue(): TaskQueue;
  /** A store instance with its own Redis connection. */
  store(): TaskStore;
  /** A queue whose broker is unreachable (nothing listens on its port). */
  unreachableQueue(): Promise<TaskQueue>;
  /** Ends `queue`'s hold on its leases as a crash would (RabbitMQ: the connection drops; Redis: nothing, they lapse). */
  crash(queue: TaskQueue): Promise<void>;
  dispose(): Promise<void>;
}

export interface QueueFixture {
  readonly name: string;
  readonly capabilities: QueueCapabilities;
  open(options: { leaseMs: number; redisUrl?: string }): Promise<Space>;
}

export function buildQueue(config: SpaceConfig, closers: Array<() => Promise<void>>): TaskQueue {
  if (config.backend === 'rabbit') {
    const q = new RabbitQueue({ url: config.amqpUrl, prefix: config.queuePrefix, leaseMs: config.leaseMs, offlineWaitMs: 500 });
    closers.push(() => q.close());
    return q;
  }
  const connection = new RedisConnection({ url: config.redisUrl, offlineWaitMs: 500 });
  const q = new RedisStreamsQueue({ connection, prefix: config.prefix, leaseMs: config.leaseMs, blockMs: 200 });
  closers.push(async () => {
    await q.close();
    await connection.close();
  });
  return q;
}

export function buildStore(config: SpaceConfig, closers: Array<() => Promise<void>>): TaskStore {
  const connection = new RedisConnection({ url: config.redisUrl, offlineWaitMs: 500 });
  const store = new TaskStore({ connection, prefix: config.prefix });
  closers.push(async () => {
    await store.close();
    await connection.close();
  });
  return store;
}

function space(config: SpaceConfig, cleanup: () => Promise<void>): Space {
  const closers: Array<() => Promise<void>> = [];
  return {
    config,
    queue: () => buildQueue(config, closers),
    store: () => buildStore(config, closers),
    async unreachableQueue() {
      const port = await freePort();
      return buildQueue(
        { ...config, redisUrl: `redis://127.0.0.1:${port}`, amqpUrl: `amqp://guest:guest@127.0.0.1:${port}` },
        closers,
      );
    },
    async crash(queue) {
      if (queue instanceof RabbitQueue) await queue.close();
    },
    async dispose() {
      for (const close of closers.reverse()) await close().catch(() => {});
      await cleanup();
    },
  };
}

export const redisFixture: QueueFixture = {
  name: 'Redis Streams',
  capabilities: { leaseExpiry: true, priorities: true },
  async open({ leaseMs, redisUrl = REDIS_URL }) {
    const prefix = uniquePrefix();
    const config: SpaceConfig = { backend: 'redis', redisUrl, prefix, amqpUrl: AMQP_URL, queuePrefix: '', leaseMs };
    return space(config, () => dropPrefix(prefix, redisUrl).catch(() => {}));
  },
};

export function rabbitFixture(amqpUrl: string): QueueFixture {
  return {
    name: 'RabbitMQ',
    capabilities: { leaseExpiry: false, priorities: false },
    async open({ leaseMs, redisUrl = REDIS_URL }) {
      const prefix = uniquePrefix();
      const queuePrefix = uniquePrefix('.');
      const config: SpaceConfig = { backend: 'rabbit', redisUrl, prefix, amqpUrl, queuePrefix, leaseMs };
      return space(config, async () => {
        await dropPrefix(prefix, redisUrl).catch(() => {});
        await deleteQueues(amqpUrl, queuePrefix);
      });
    },
  };
}

/** The tools the suites use; their queues are deleted after each test. */
export const SUITE_TOOLS = ['echo', 'count', 'flaky', 'fail', 'strict', 'slow', 'effect', 'a', 'b'];

async function deleteQueues(amqpUrl: string, queuePrefix: string): Promise<void> {
  const { connect } = await import('amqplib');
  const conn = await connect(amqpUrl);
  conn.on('error', () => {});
  try {
    for (const tool of SUITE_TOOLS) {
      const ch = await conn.createChannel();
      ch.on('error', () => {});
      await ch.deleteQueue(`${queuePrefix}${tool}`).catch(() => {});
      await ch.close().catch(() => {});
    }
  } finally {
    await conn.close();
  }
}
