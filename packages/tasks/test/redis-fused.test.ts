import { defineAgent, tool } from '@agentsocket/core';
import { RedisConnection, RedisDedupStore } from '@agentsocket/redis';
import { afterEach, describe, expect, it } from 'vitest';
import { TaskClient, TaskWorker } from '../src/index.js';
import { redisOrSkip, until } from './env.js';
import { redisFixture, type Space } from './fixture.js';

/**
 * The fused path on one Redis (docs/tasks.md): the dedup claim in the start script, the dedup
 * outcome, the ack and the take of the next entries in the finish script, and result() reading
 * nothing for tasks its client submitted. Each is checked by what it must still guarantee.
 */
if (await redisOrSkip()) {
  describe('Redis Streams, one Redis for store, queue and dedup', () => {
    let space: Space;
    const closers: Array<() => Promise<void>> = [];
    afterEach(async () => {
      for (const close of closers.splice(0).reverse()) await close().catch(() => {});
      await space?.dispose();
    });

    const recorder = () => {
      const ran: string[] = [];
      const counts = new Map<string, number>();
      const agent = defineAgent({
        name: 'fused',
        tools: {
          note: tool({
            input: { type: 'object', properties: { tag: { type: 'string' } }, required: ['tag'] },
            handler: (args) => {
              const tag = String(args['tag']);
              ran.push(tag);
              counts.set(tag, (counts.get(tag) ?? 0) + 1);
              return { tag };
            },
          }),
        },
      });
      return { agent, ran, counts };
    };

    const worker = async (init: Omit<ConstructorParameters<typeof TaskWorker>[0], 'store' | 'queue'>) => {
      const w = new TaskWorker({ store: space.store(), queue: space.queue(), ...init });
      await w.start();
      closers.push(() => w.close());
      return w;
    };

    it('a worker handing its slot on takes waiting tasks in priority order, each once', async () => {
      space = await redisFixture.open({ leaseMs: 2000 });
      const { agent, ran, counts } = recorder();
      const store = space.store();
      await store.registerCapabilities(agent.tools);
      const client = new TaskClient({ store, queue: space.queue() });
      // All waiting before the worker starts: its first take gets one, every finish the next.
      const ids: string[] = [];
      for (const [tag, priority] of [
        ['n1', 'normal'],
        ['l1', 'low'],
        ['h1', 'high'],
        ['n2', 'normal'],
        ['h2', 'high'],
        ['l2', 'low'],
        ['h3', 'high'],
      ] as const) {
        ids.push((await client.submit({ tool: 'note', args: { tag }, priority })).id);
      }
      await worker({ agent, concurrency: 1 });
      const results = await Promise.all(ids.map((id) => client.result(id, { timeoutMs: 10_000 })));
      expect(results.map((r) => (r as { tag: string }).tag)).toEqual(['n1', 'l1', 'h1', 'n2', 'h2', 'l2', 'h3']);
      expect(ran).toEqual(['h1', 'h2', 'h3', 'n1', 'n2', 'l1', 'l2']);
      expect([...counts.values()].every((n) => n === 1)).toBe(true);
      for (const id of ids) expect(await client.get(id)).toMatchObject({ state: 'succeeded', attempts: 1 });
    });

    it('a finish that hands its slot on starts what it took: one start script for seven tasks, each claimed once, attempt 1', async () => {
      space = await redisFixture.open({ leaseMs: 2000 });
      const { agent, ran, counts } = recorder();
      const store = space.store();
      await store.registerCapabilities(agent.tools);
      const client = new TaskClient({ store, queue: space.queue() });
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) ids.push((await client.submit({ tool: 'note', args: { tag: `s${i}` }, idempotencyKey: `key-s${i}` })).id);
      const workerStore = space.store();
      let starts = 0;
      const start = workerStore.start.bind(workerStore);
      workerStore.start = (...args) => {
        starts++;
        return start(...args);
      };
      const w = new TaskWorker({ agent, store: workerStore, queue: space.queue(), concurrency: 1 });
      await w.start();
      closers.push(() => w.close());
      await Promise.all(ids.map((id) => client.result(id, { timeoutMs: 10_000 })));
      // The first came from the worker's take; every later one was started by the finish before it.
      expect(starts).toBe(1);
      expect(ran).toEqual(['s0', 's1', 's2', 's3', 's4', 's5', 's6']);
      expect([...counts.values()].every((n) => n === 1)).toBe(true);
      for (const id of ids) {
        const events = [];
        for await (const e of client.watch(id)) events.push(e);
        expect(events.map((e) => e.type)).toEqual(['queued', 'claimed', 'succeeded']);
        expect(events[1]).toMatchObject({ worker: w.id, attempt: 1 });
      }
      // Each key's outcome is in the dedup store (claimed by the start, completed by the finish).
      const connection = new RedisConnection({ url: space.config.redisUrl });
      closers.push(() => connection.close());
      for (let i = 0; i < 7; i++) expect(await connection.client.exists(`${space.config.prefix}dedup:tasks:key-s${i}`)).toBe(1);
    });

    it('a task started by a finish whose key already has an outcome replays it without running the handler', async () => {
      space = await redisFixture.open({ leaseMs: 2000 });
      const { agent, ran } = recorder();
      const store = space.store();
      await store.registerCapabilities(agent.tools);
      // The side effect of key-r happened before (e.g. an attempt whose outcome write was lost).
      const dedup = new RedisDedupStore({ connection: store.connection, prefix: space.config.prefix });
      closers.push(async () => dedup.close());
      await dedup.complete('tasks:key-r', { ok: true, result: { tag: 'earlier' } }, 60_000);
      const client = new TaskClient({ store, queue: space.queue() });
      const a = await client.submit({ tool: 'note', args: { tag: 'a' }, idempotencyKey: 'key-a' });
      const r = await client.submit({ tool: 'note', args: { tag: 'r' }, idempotencyKey: 'key-r' });
      await worker({ agent, concurrency: 1 });
      expect(await client.result(a.id, { timeoutMs: 5000 })).toEqual({ tag: 'a' });
      expect(await client.result(r.id, { timeoutMs: 5000 })).toEqual({ tag: 'earlier' });
      expect(ran).toEqual(['a']);
    });

    it('an idle worker is handed its tasks started by the submit: no start script of its own, each claimed once, attempt 1', async () => {
      space = await redisFixture.open({ leaseMs: 2000 });
      const { agent, ran } = recorder();
      const workerStore = space.store();
      let starts = 0;
      const start = workerStore.start.bind(workerStore);
      workerStore.start = (...args) => {
        starts++;
        return start(...args);
      };
      const w = new TaskWorker({ agent, store: workerStore, queue: space.queue(), concurrency: 1 });
      await w.start();
      closers.push(() => w.close());
      const connection = new RedisConnection({ url: space.config.redisUrl });
      closers.push(() => connection.close());
      // The worker found nothing and registered as idle (its token is there).
      await until(async () => (await connection.client.exists(`${space.config.prefix}w:${w.id}`)) === 1, 'the worker to register', 5000);
      const client = new TaskClient({ store: space.store(), queue: space.queue() });
      for (let i = 0; i < 5; i++) {
        const { id } = await client.submit({ tool: 'note', args: { tag: `d${i}` }, idempotencyKey: `key-d${i}` });
        expect(await client.result(id, { timeoutMs: 5000 })).toEqual({ tag: `d${i}` });
        const events = [];
        for await (const e of client.watch(id)) events.push(e);
        expect(events.map((e) => e.type)).toEqual(['queued', 'claimed', 'succeeded']);
        expect(events[1]).toMatchObject({ worker: w.id, attempt: 1 });
        expect(await connection.client.exists(`${space.config.prefix}dedup:tasks:key-d${i}`)).toBe(1);
      }
      expect(ran).toEqual(['d0', 'd1', 'd2', 'd3', 'd4']);
      expect(starts).toBe(0);
    });

    it('a worker that closed while registered as idle is handed nothing: the next worker runs the task at once', async () => {
      space = await redisFixture.open({ leaseMs: 10_000 });
      const { agent, ran } = recorder();
      const first = new TaskWorker({ agent, store: space.store(), queue: space.queue(), concurrency: 1 });
      await first.start();
      const connection = new RedisConnection({ url: space.config.redisUrl });
      closers.push(() => connection.close());
      await until(async () => (await connection.client.exists(`${space.config.prefix}w:${first.id}`)) === 1, 'the worker to register', 5000);
      await first.close();
      expect(await connection.client.exists(`${space.config.prefix}w:${first.id}`)).toBe(0);
      await worker({ agent, concurrency: 1 });
      const client = new TaskClient({ store: space.store(), queue: space.queue() });
      const began = Date.now();
      const { id } = await client.submit({ tool: 'note', args: { tag: 'after' } });
      // Handed to the closed worker, it would wait out the 10 s lease.
      expect(await client.result(id, { timeoutMs: 5000 })).toEqual({ tag: 'after' });
      expect(Date.now() - began).toBeLessThan(5000);
      expect(ran).toEqual(['after']);
    });

    it('tasks pushed while a worker with free slots blocks are taken at once, and the queue ends empty', async () => {
      space = await redisFixture.open({ leaseMs: 2000 });
      const { agent, counts } = recorder();
      await worker({ agent, concurrency: 4 });
      const queue = space.queue();
      const client = new TaskClient({ store: space.store(), queue });
      const ids = await Promise.all(Array.from({ length: 200 }, (_, i) => client.submit({ tool: 'note', args: { tag: `t${i}` } }).then((r) => r.id)));
      await Promise.all(ids.map((id) => client.result(id, { timeoutMs: 20_000 })));
      expect(counts.size).toBe(200);
      expect([...counts.values()].every((n) => n === 1)).toBe(true);
      await until(async () => (await queue.depth('note')).leased === 0, 'the last acks', 5000);
      expect(await queue.depth('note')).toEqual({ waiting: 0, leased: 0 });
    });

    it('result() of a task that ended before the call, from the submitting client and from another', async () => {
      space = await redisFixture.open({ leaseMs: 2000 });
      const { agent } = recorder();
      await worker({ agent, concurrency: 2 });
      const client = new TaskClient({ store: space.store(), queue: space.queue() });
      // The first submit subscribes the client's channel; later ones are tracked from the start.
      await client.result((await client.submit({ tool: 'note', args: { tag: 'first' } })).id, { timeoutMs: 5000 });
      const { id } = await client.submit({ tool: 'note', args: { tag: 'early' } });
      await until(async () => (await client.get(id))?.state === 'succeeded', 'the task to end', 5000);
      expect(await client.result(id, { timeoutMs: 5000 })).toEqual({ tag: 'early' });
      // Asked twice: the second answer comes from the record.
      expect(await client.result(id, { timeoutMs: 5000 })).toEqual({ tag: 'early' });
      const other = new TaskClient({ store: space.store(), queue: space.queue() });
      expect(await other.result(id, { timeoutMs: 5000 })).toEqual({ tag: 'early' });
    });

    it('with a dedup store of its own (no fused dedup writes) the side effect still runs once per key', async () => {
      space = await redisFixture.open({ leaseMs: 2000 });
      const { agent, counts } = recorder();
      const connection = new RedisConnection({ url: space.config.redisUrl });
      closers.push(() => connection.close());
      const dedup = new RedisDedupStore({ connection, prefix: `${space.config.prefix}own:` });
      closers.push(async () => dedup.close());
      await worker({ agent, concurrency: 2, dedup });
      const client = new TaskClient({ store: space.store(), queue: space.queue() });
      const a = await client.submit({ tool: 'note', args: { tag: 'once' }, idempotencyKey: 'k-once' });
      expect(await client.result(a.id, { timeoutMs: 5000 })).toEqual({ tag: 'once' });
      const b = await client.submit({ tool: 'note', args: { tag: 'once' }, idempotencyKey: 'k-once' });
      expect(b).toEqual({ id: a.id, created: false });
      expect(counts.get('once')).toBe(1);
      expect(await connection.client.exists(`${space.config.prefix}own:dedup:tasks:k-once`)).toBe(1);
    });
  });
}
