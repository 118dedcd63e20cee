import { randomBytes } from 'node:crypto';
import { defineAgent, tool } from '@agentsocket/core';
import { RedisConnection } from '@agentsocket/redis';
import { Redis } from 'ioredis';
import { RedisStreamsQueue, TaskClient, TaskStore, TaskWorker } from '../src/index.js';

/**
 * Both sides use the same ioredis options: auto-pipelining, so commands issued in one tick go out
 * in one write (many tasks' commands under load; nothing changes for one task in flight).
 */
export const CLIENT_OPTIONS = { enableAutoPipelining: true } as const;

export function benchPrefix(): string {
  return `asp-bench:${Date.now().toString(36)}${randomBytes(3).toString('hex')}:`;
}

/** Deletes every key under `prefix` (SCAN + DEL). */
export async function dropPrefix(url: string, prefix: string): Promise<void> {
  const r = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await r.del(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}

const agent = () =>
  defineAgent({
    name: 'bench',
    tools: {
      echo: tool({
        input: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] },
        handler: (args) => ({ n: args['n'] }),
      }),
    },
  });

/** Orchestrator + workers on one prefix, each part on connections of its own. */
export class TaskSetup {
  readonly prefix = benchPrefix();
  readonly client: TaskClient;
  readonly workers: TaskWorker[] = [];
  settled = 0;
  private readonly url: string;
  private readonly leaseMs: number;
  private readonly connections: RedisConnection[] = [];
  private readonly queues: RedisStreamsQueue[] = [];
  private readonly stores: TaskStore[] = [];

  constructor(url: string, leaseMs = 10_000) {
    this.url = url;
    this.leaseMs = leaseMs;
    const { store, queue } = this.parts();
    this.client = new TaskClient({ store, queue });
  }

  private parts(): { store: TaskStore; queue: RedisStreamsQueue } {
    const a = new RedisConnection({ url: this.url, options: CLIENT_OPTIONS });
    const b = new RedisConnection({ url: this.url, options: CLIENT_OPTIONS });
    this.connections.push(a, b);
    const store = new TaskStore({ connection: a, prefix: this.prefix });
    const queue = new RedisStreamsQueue({ connection: b, prefix: this.prefix, leaseMs: this.leaseMs });
    this.stores.push(store);
    this.queues.push(queue);
    return { store, queue };
  }

  async startWorkers(count: number, concurrency: number): Promise<void> {
    const a = agent();
    for (let i = 0; i < count; i++) {
      const { store, queue } = this.parts();
      const w = new TaskWorker({
        agent: a,
        store,
        queue,
        concurrency,
        onEvent: (e) => {
          if (e.type === 'settled') this.settled++;
          if (e.type === 'error') console.error('worker error', e.error);
        },
      });
      await w.start();
      this.workers.push(w);
    }
  }

  async close(): Promise<void> {
    for (const w of this.workers) await w.close();
    for (const q of this.queues) await q.close();
    for (const s of this.stores) await s.close();
    for (const c of this.connections) await c.close();
    await dropPrefix(this.url, this.prefix);
  }
}

/**
 * The reference: a bare Redis Streams loop with the same client (ioredis). A producer XADDs; a
 * consumer on its own connection blocks in XREADGROUP, XACKs, and tells the producer in-process.
 */
export class BareSetup {
  readonly prefix = benchPrefix();
  private readonly url: string;
  private readonly producer: Redis;
  private readonly consumers: Redis[] = [];
  private readonly waiting = new Map<string, () => void>();
  private stopped = false;
  private loops: Promise<void>[] = [];
  acked = 0;

  constructor(url: string) {
    this.url = url;
    this.producer = new Redis(url, CLIENT_OPTIONS);
  }

  get key(): string {
    return `${this.prefix}s`;
  }

  async start(consumers: number): Promise<void> {
    await this.producer.xgroup('CREATE', this.key, 'g', '0', 'MKSTREAM');
    for (let i = 0; i < consumers; i++) {
      const c = new Redis(this.url, CLIENT_OPTIONS);
      this.consumers.push(c);
      this.loops.push(this.loop(c, `c${i}`));
    }
  }

  private async loop(c: Redis, name: string): Promise<void> {
    while (!this.stopped) {
      let reply: unknown;
      try {
        reply = await c.call('XREADGROUP', 'GROUP', 'g', name, 'COUNT', 16, 'BLOCK', 1000, 'STREAMS', this.key, '>');
      } catch {
        return;
      }
      if (!Array.isArray(reply)) continue;
      const [stream] = reply;
      const entries: unknown = Array.isArray(stream) ? stream[1] : [];
      if (!Array.isArray(entries)) continue;
      const ids = entries.map((e: unknown) => (Array.isArray(e) ? String(e[0]) : ''));
      const tags = entries.map((e: unknown) => (Array.isArray(e) && Array.isArray(e[1]) ? String(e[1][1]) : ''));
      await c.xack(this.key, 'g', ...ids);
      this.acked += ids.length;
      for (const t of tags) {
        this.waiting.get(t)?.();
        this.waiting.delete(t);
      }
    }
  }

  /** One round trip: XADD, then wait for the consumer's XACK. */
  roundTrip(tag: string): Promise<void> {
    const done = new Promise<void>((resolve) => this.waiting.set(tag, resolve));
    return this.producer.xadd(this.key, '*', 't', tag).then(() => done);
  }

  add(tag: string): Promise<unknown> {
    return this.producer.xadd(this.key, '*', 't', tag);
  }

  async close(): Promise<void> {
    this.stopped = true;
    for (const c of this.consumers) c.disconnect();
    await Promise.allSettled(this.loops);
    await this.producer.del(this.key);
    this.producer.disconnect();
  }
}
