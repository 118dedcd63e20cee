import { RawPeer } from '@agentsocket/compliance';
import { defineAgent, tool } from '@agentsocket/core';
import { Flag, FrameType } from '@agentsocket/core/transport';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisConnection, RedisDedupStore } from '../src/index.js';
import { clusters, type TestNode, until } from './cluster.js';
import { dropPrefix, keysWithTtl, plainBytes, REDIS_URL, redisOrSkip, uniquePrefix } from './redis-env.js';

const run = await redisOrSkip();

describe.runIf(run)('RedisDedupStore', () => {
  const open: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of open.splice(0).reverse()) await c();
  });
  /** Two stores under one prefix, each on its own connection, as two nodes would have. */
  async function pair(leaseMs?: number, holders?: [string, string]) {
    const prefix = uniquePrefix();
    let made = 0;
    const make = () => {
      const connection = new RedisConnection({ url: REDIS_URL });
      const holder = holders?.[made++];
      const store = new RedisDedupStore({ connection, prefix, ...(leaseMs === undefined ? {} : { leaseMs }), ...(holder === undefined ? {} : { holder }) });
      open.push(async () => {
        await store.close();
        await connection.close();
      });
      return { connection, store };
    };
    const a = make();
    const b = make();
    open.push(() => dropPrefix(prefix));
    return { prefix, a, b };
  }

  it('claims atomically across nodes, records binary outcomes, forgets on release', async () => {
    const { a, b, prefix } = await pair();
    const claims = await Promise.all([a.store.claim('k', 60_000), b.store.claim('k', 60_000)]);
    expect(claims.map((c) => c.status).sort()).toEqual(['new', 'pending']);
    const outcome = { kind: 'complete', chunks: [new Uint8Array([1, 2])], result: new Uint8Array([0, 255]), metrics: { durationMs: 1, chunks: 1 } };
    const winner = claims[0]?.status === 'new' ? a.store : b.store;
    await winner.complete('k', outcome, 60_000);
    expect(await b.store.claim('k', 60_000)).toEqual({ status: 'done', outcome });
    expect(await a.store.claim('k', 60_000)).toEqual({ status: 'done', outcome });
    expect(await a.store.claim('r', 60_000)).toEqual({ status: 'new' });
    await a.store.release('r');
    expect(await b.store.claim('r', 60_000)).toEqual({ status: 'new' });
    // Every key is under the prefix and bounded by a TTL.
    const keys = await keysWithTtl(prefix);
    expect([...keys.keys()].sort()).toEqual([`${prefix}dedup:k`, `${prefix}dedup:r`]);
    for (const ttl of keys.values()) expect(ttl).toBeGreaterThan(0);
  });

  it('forgets outcomes after their TTL', async () => {
    const { a } = await pair();
    expect((await a.store.claim('t', 60_000)).status).toBe('new');
    await a.store.complete('t', { kind: 'error', code: 500, message: 'x' }, 50);
    expect((await a.store.claim('t', 60_000)).status).toBe('done');
    await a.store.release('t');
    await until(async () => (await a.store.claim('u', 60_000)).status === 'new', 'a fresh key');
    await until(async () => (await a.store.claim('t', 60_000)).status === 'new', 'the outcome to expire');
  });

  it('keeps a claim while its holder lives and lets it lapse when the holder dies', async () => {
    const { a, b, prefix } = await pair(600);
    expect((await a.store.claim('job', 60_000)).status).toBe('new');
    // a renews its lease: watch the TTL go back up three times, then b still finds it pending.
    const probe = new Redis(REDIS_URL);
    let renewals = 0;
    let last = await probe.pttl(`${prefix}dedup:job`);
    await until(async () => {
      const ttl = await probe.pttl(`${prefix}dedup:job`);
      if (ttl > last) renewals++;
      last = ttl;
      return renewals >= 3;
    }, 'three renewals');
    probe.disconnect();
    expect((await b.store.claim('job', 60_000)).status).toBe('pending');
    await a.store.close();
    a.connection.abandon();
    await until(async () => (await b.store.claim('job', 60_000)).status === 'new', 'the lease to lapse');
  });

  it('takes over at once a claim whose holder is known dead (hub heartbeat expired), not after the lease', async () => {
    const { a, b, prefix } = await pair(60_000, ['node-a.1', 'node-b.1']);
    const probe = new Redis(REDIS_URL);
    try {
      const nodes = `${prefix}h:nodes`;
      // The hub's record of live instances: instance → heartbeat expiry on Redis's clock.
      const [secs] = await probe.time();
      await probe.zadd(nodes, Number(secs) * 1000 + 60_000, 'node-a.1', Number(secs) * 1000 + 60_000, 'node-b.1');
      expect((await a.store.claim('job', 60_000)).status).toBe('new');
      expect((await b.store.claim('job', 60_000)).status).toBe('pending');
      // node-a's heartbeat expires: the next claim is b's, although the lease has a minute left.
      await probe.zadd(nodes, 1, 'node-a.1');
      expect((await b.store.claim('job', 60_000)).status).toBe('new');
      expect((await a.store.claim('job', 60_000)).status).toBe('pending');
      // A holder that left the cluster (no entry at all) is dead too.
      await b.store.release('job');
      expect((await a.store.claim('job2', 60_000)).status).toBe('new');
      await probe.zrem(nodes, 'node-a.1');
      expect((await b.store.claim('job2', 60_000)).status).toBe('new');
    } finally {
      probe.disconnect();
    }
  });

  it('leaves the claim of a store without a holder to its lease', async () => {
    const { a, b } = await pair(60_000, ['', 'node-b.1']);
    expect((await a.store.claim('job', 60_000)).status).toBe('new');
    expect((await b.store.claim('job', 60_000)).status).toBe('pending');
  });
});

describe.runIf(run)('exactly-once across nodes', () => {
  const start = clusters();

  it('runs an exactly-once INVOKE once, whichever nodes it is sent to, and replays its outcome', async () => {
    let runs = 0;
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const c = await start({
      agent: () =>
        defineAgent({
          name: 'once',
          tools: {
            charge: tool({
              async *handler(args) {
                runs++;
                yield 'charging';
                await gate;
                return { charged: args['amount'], receipt: new Uint8Array([7, 7]) };
              },
            }),
          },
        }),
    });
    const invoke = { id: '01J00000000000000000000EX1', tool: 'charge', args: { amount: 5 }, dl: 2, sq: 1 };
    const peers = await Promise.all(c.nodes.map((n) => RawPeer.handshake(n.connect)));
    const [a, b, cc] = peers.map((p) => p.peer);
    if (!a || !b || !cc) throw new Error('three peers');
    a.send(FrameType.INVOKE, Flag.RELIABLE, 1, invoke);
    await until(() => runs === 1, 'the first run');
    // The same message id on another node while the first still runs: it waits, it does not run.
    b.send(FrameType.INVOKE, Flag.RELIABLE, 1, invoke);
    release();
    const results = await Promise.all([a, b].map(async (p) => p.decode(await p.next((f) => f.type === FrameType.COMPLETE))));
    for (const r of results) expect(plainBytes(r['result'])).toEqual({ charged: 5, receipt: new Uint8Array([7, 7]) });
    // Later, on a third node: the recorded outcome, chunks included.
    cc.send(FrameType.INVOKE, Flag.RELIABLE, 1, invoke);
    const chunk = cc.decode(await cc.next((f) => f.type === FrameType.STREAM));
    expect(chunk['data']).toBe('charging');
    const done = cc.decode(await cc.next((f) => f.type === FrameType.COMPLETE));
    expect(plainBytes(done['result'])).toEqual({ charged: 5, receipt: new Uint8Array([7, 7]) });
    expect(runs).toBe(1);
    for (const p of [a, b, cc]) await p.close();
  });

  it('re-runs an exactly-once call of a dead node as soon as its heartbeat expires, and ctx.once keeps its effect single', async () => {
    let charges = 0;
    const runs: Array<{ node: string; at: number }> = [];
    const nodes: TestNode[] = [];
    let made = 0;
    const c = await start({
      nodes: 2,
      agent: () => {
        const i = made++;
        const name = `node-${i}`;
        return defineAgent({
          name: 'shop',
          tools: {
            buy: tool({
              async *handler(_args, ctx) {
                runs.push({ node: name, at: Date.now() });
                const receipt = await ctx.once('charge', () => ++charges);
                yield { receipt };
                // Node 0 dies here, mid-handler, after the charge; node 1 finishes.
                await new Promise<void>((resolve) => {
                  if (i === 1) resolve();
                  ctx.signal.addEventListener('abort', () => resolve(), { once: true });
                });
                if (nodes[i]?.alive !== true) throw new Error('node died');
                return { receipt };
              },
            }),
          },
        });
      },
      // The lease alone would hold a dead node's claim for 30 s; its heartbeat expires after 1 s.
      redis: { heartbeatMs: 100, nodeTtlMs: 1000, dedupLeaseMs: 30_000 },
    });
    nodes.push(...c.nodes);
    const client = await c.client(0);
    const call = client.invoke('buy', {}, { delivery: 'exactly-once' });
    const chunks: unknown[] = [];
    let killedAt = 0;
    for await (const chunk of call) {
      chunks.push(chunk);
      if (chunks.length === 1) {
        killedAt = Date.now();
        await c.nodes[0]?.kill();
      }
    }
    expect((await call.result).value).toEqual({ receipt: 1 });
    expect(chunks).toEqual([{ receipt: 1 }]);
    expect(runs.map((r) => r.node)).toEqual(['node-0', 'node-1']);
    // The re-run waited for the death to be known (about nodeTtlMs), not for the 30 s lease.
    const waited = (runs[1]?.at ?? 0) - killedAt;
    console.log(`exactly-once re-run started ${waited} ms after the kill (nodeTtlMs 1000, lease 30000)`);
    expect(waited).toBeLessThan(10_000);
    expect(charges).toBe(1);
  });

  it("carries a caller's own message id to an agent on another node: a retry after a timeout runs nothing twice", async () => {
    const c = await start({ agent: () => defineAgent({ name: 'hq', tools: {} }) });
    let runs = 0;
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    await c.client(1, {
      name: 'worker',
      namespace: '/t',
      tools: {
        book: {
          async handler(_args, ctx) {
            runs++;
            await gate;
            return { booked: ctx.messageId };
          },
        },
      },
    });
    const hq = c.nodes[0]?.server;
    if (!hq) throw new Error('node 0');
    const options = { delivery: 'exactly-once' as const, messageId: 'booking-7' };
    await expect(hq.invokeAgent('/t', 'worker', 'book', {}, { ...options, timeoutMs: 50 }).result).rejects.toMatchObject({ code: 'TIMEOUT' });
    const retry = hq.invokeAgent('/t', 'worker', 'book', {}, options);
    release();
    expect((await retry.result).value).toEqual({ booked: 'booking-7' });
    expect(runs).toBe(1);
  });
});
