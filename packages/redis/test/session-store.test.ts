import { MemorySessionStore, type SessionRecord, type SessionStore } from '@agentsocket/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RedisConnection, RedisSessionStore } from '../src/index.js';
import { until } from './cluster.js';
import { dropPrefix, keysWithTtl, REDIS_URL, redisOrSkip, uniquePrefix } from './redis-env.js';

const run = await redisOrSkip();

const record = (id: string): SessionRecord => ({
  id,
  resumeToken: 'tok',
  principal: { id: 'alice', claims: { team: 'alpha' } },
  namespace: '/alpha',
  agentId: 'a1',
  codec: 'msgpack',
  peerMaxFrame: 1024,
  peerMaxInflight: 8,
  heartbeatMs: 1000,
  remoteTools: [{ name: 'clarify', description: 'asks back', inputSchema: { type: 'object' } }],
});

const bytes = (...b: number[]) => new Uint8Array(b);

describe.runIf(run)('RedisSessionStore', () => {
  const open: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of open.splice(0).reverse()) await c();
  });
  /** Stores under one prefix, each on its own connection, as separate nodes would have. */
  function stores(n: number, ttlMs?: number) {
    const prefix = uniquePrefix();
    open.push(() => dropPrefix(prefix));
    const out = Array.from({ length: n }, () => {
      const connection = new RedisConnection({ url: REDIS_URL });
      const store = new RedisSessionStore({ connection, prefix, ...(ttlMs === undefined ? {} : { ttlMs }) });
      open.push(async () => {
        await store.close();
        await connection.close();
      });
      return { connection, store };
    });
    return { prefix, out };
  }

  it('journals frames, acks, receipts and requests; another node loads them in order', async () => {
    const { out } = stores(2);
    const [a, b] = out;
    if (!a || !b) throw new Error('two stores');
    await a.store.create(record('s1'));
    await a.store.claim('s1', 'a');
    const j = a.store.journal('s1', 'a');
    j.sent(1, bytes(1, 0, 1));
    j.sent(2, bytes(2, 0, 255));
    j.sent(3, bytes(3));
    j.sent(4, bytes(4));
    j.acked(2);
    j.received(7);
    j.received(5);
    j.invokeStarted(3, bytes(9, 9));
    j.invokeStarted(5, bytes(5, 5));
    j.invokeEnded(3, 5, bytes(5, 3));
    await j.flush();
    const loaded = await b.store.load('s1');
    expect(loaded).toEqual({
      record: record('s1'),
      nextSq: 6,
      lastReceived: 7,
      frames: [
        { sq: 3, frame: bytes(3) },
        { sq: 4, frame: bytes(4) },
        { sq: 5, frame: bytes(5, 3) },
      ],
      incoming: [{ rid: 5, frame: bytes(5, 5) }],
    });
    expect(await b.store.load('nope')).toBeUndefined();
  });

  it('coalesces a burst of writes into one pipelined batch per tick', async () => {
    const { out } = stores(1);
    const [a] = out;
    if (!a) throw new Error('one store');
    await a.store.create(record('s2'));
    await a.store.claim('s2', 'a');
    const j = a.store.journal('s2', 'a');
    const pipelines = vi.spyOn(a.connection.client, 'pipeline');
    for (let sq = 1; sq <= 1000; sq++) {
      j.sent(sq, bytes(sq & 255));
      j.received(sq);
      if (sq % 10 === 0) j.acked(sq - 5);
    }
    await j.flush();
    expect(pipelines).toHaveBeenCalledTimes(1);
    const loaded = await a.store.load('s2');
    expect(loaded?.frames.map((f) => f.sq)).toEqual([996, 997, 998, 999, 1000]);
    expect(loaded?.lastReceived).toBe(1000);
  });

  it('fences an earlier owner: its flush rejects and its writes do not land', async () => {
    const { out } = stores(2);
    const [a, b] = out;
    if (!a || !b) throw new Error('two stores');
    await a.store.create(record('s3'));
    await a.store.claim('s3', 'a');
    const ja = a.store.journal('s3', 'a');
    ja.sent(1, bytes(1));
    await ja.flush();
    await b.store.load('s3');
    await b.store.claim('s3', 'b');
    const jb = b.store.journal('s3', 'b');
    ja.sent(2, bytes(2));
    await expect(ja.flush()).rejects.toMatchObject({ code: 'SESSION_CLOSED' });
    jb.sent(2, bytes(22));
    await jb.flush();
    expect((await b.store.load('s3'))?.frames).toEqual([
      { sq: 1, frame: bytes(1) },
      { sq: 2, frame: bytes(22) },
    ]);
    // Only the owner may expire or delete it.
    await a.store.delete('s3', 'a');
    expect(await b.store.load('s3')).toBeDefined();
    await b.store.delete('s3', 'b');
    expect(await b.store.load('s3')).toBeUndefined();
    await expect(b.store.claim('s3', 'b')).rejects.toMatchObject({ code: 'SESSION_CLOSED' });
  });

  it('bounds every key by a TTL; expire() shortens it for the owner only', async () => {
    const { out, prefix } = stores(1, 30_000);
    const [a] = out;
    if (!a) throw new Error('one store');
    await a.store.create(record('s4'));
    await a.store.claim('s4', 'a');
    const j = a.store.journal('s4', 'a');
    j.sent(1, bytes(1));
    j.invokeStarted(2, bytes(2));
    await j.flush();
    const keys = await keysWithTtl(prefix);
    expect(keys.size).toBe(3);
    for (const ttl of keys.values()) expect(ttl).toBeGreaterThan(20_000);
    await a.store.expire('s4', 100, 'someone-else');
    for (const ttl of (await keysWithTtl(prefix)).values()) expect(ttl).toBeGreaterThan(20_000);
    await a.store.expire('s4', 100, 'a');
    for (const ttl of (await keysWithTtl(prefix)).values()) expect(ttl).toBeLessThanOrEqual(100);
    await until(async () => (await a.store.load('s4')) === undefined, 'the session to expire');
    await expect(j.flush()).resolves.toBeUndefined();
    j.received(3);
    await expect(j.flush()).rejects.toMatchObject({ code: 'SESSION_CLOSED' });
  });

  it('refreshes the TTL of idle live sessions', async () => {
    const { out, prefix } = stores(1, 1500);
    const [a] = out;
    if (!a) throw new Error('one store');
    await a.store.create(record('s5'));
    await a.store.claim('s5', 'a');
    const j = a.store.journal('s5', 'a');
    j.received(1);
    await j.flush();
    const key = `${prefix}s:s5`;
    let refreshed = 0;
    let last = (await keysWithTtl(prefix)).get(key) ?? 0;
    await until(async () => {
      const ttl = (await keysWithTtl(prefix)).get(key) ?? -2;
      if (ttl > last) refreshed++;
      last = ttl;
      return refreshed >= 3;
    }, 'three refreshes');
    expect(await a.store.load('s5')).toBeDefined();
  });
});

/** The SessionJournal rules of core's session-store.ts, on the reference store and on Redis alike. */
describe.runIf(run)('SessionJournal rules', () => {
  const open: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of open.splice(0).reverse()) await c();
  });
  const kinds: Array<[string, () => [SessionStore, SessionStore]]> = [
    [
      'MemorySessionStore',
      () => {
        const shared = new MemorySessionStore();
        return [shared, shared];
      },
    ],
    [
      'RedisSessionStore',
      () => {
        const prefix = uniquePrefix();
        open.push(() => dropPrefix(prefix));
        const make = () => {
          const connection = new RedisConnection({ url: REDIS_URL });
          const store = new RedisSessionStore({ connection, prefix });
          open.push(async () => {
            await store.close();
            await connection.close();
          });
          return store;
        };
        return [make(), make()];
      },
    ],
  ];

  for (const [name, make] of kinds) {
    it(`${name}: a request's end and its terminal frame are one fact; a run of writes lands whole; a fenced journal stops`, async () => {
      const [a, b] = make();
      await a.create(record('r1'));
      await a.claim('r1', 'a');
      const j = a.journal('r1', 'a');
      // Rule 2: a received INVOKE's sq and its start, in one synchronous run.
      j.received(1);
      j.invokeStarted(0x8001, bytes(2, 1));
      j.invokeStarted(0x8002, bytes(2, 2));
      await j.flush();
      expect((await b.load('r1'))?.incoming).toEqual([
        { rid: 0x8001, frame: bytes(2, 1) },
        { rid: 0x8002, frame: bytes(2, 2) },
      ]);
      // Rule 3: the end of 0x8001 and its COMPLETE (sq 1) together.
      j.invokeEnded(0x8001, 1, bytes(7, 1));
      await j.flush();
      const loaded = await b.load('r1');
      expect(loaded?.incoming).toEqual([{ rid: 0x8002, frame: bytes(2, 2) }]);
      expect(loaded?.frames).toEqual([{ sq: 1, frame: bytes(7, 1) }]);
      expect(loaded?.nextSq).toBe(2);
      expect(loaded?.lastReceived).toBe(1);
      // Another owner: the first journal's writes are refused, and flush says so.
      await b.claim('r1', 'b');
      j.invokeEnded(0x8002, 2, bytes(7, 2));
      await expect(j.flush()).rejects.toMatchObject({ code: 'SESSION_CLOSED' });
      expect((await b.load('r1'))?.incoming).toEqual([{ rid: 0x8002, frame: bytes(2, 2) }]);
    });
  }
});
