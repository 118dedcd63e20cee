import { AgentClient, defineAgent, ErrorCode, tool } from '@agentsocket/core';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { clusters, until } from './cluster.js';
import { keysWithTtl, REDIS_URL, redisOrSkip } from './redis-env.js';

const run = await redisOrSkip();

const agent = () => defineAgent({ name: 'hub', tools: { ping: tool({ handler: () => 'pong' }) } });

describe.runIf(run)('RedisHub bookkeeping', () => {
  const start = clusters();

  it('bounds every key by a TTL and leaves no hub keys after a polite shutdown', async () => {
    const c = await start({ agent });
    const a = await c.client(0, { name: 'a', namespace: '/k' });
    const b = await c.client(1, { name: 'b', namespace: '/k' });
    await a.join('r1');
    await b.join('r1');
    await b.join('r2');
    const keys = await keysWithTtl(c.prefix);
    expect([...keys.keys()].some((k) => k.includes('h:r:/k:r1'))).toBe(true);
    // -2: gone between SCAN and PTTL (an emptied set); -1 (no TTL) must never appear.
    for (const [key, ttl] of keys) expect(ttl === -2 || ttl > 0, `${key} ${ttl}`).toBe(true);
    await a.close();
    await b.close();
    for (const n of c.nodes) {
      n.server.close();
      await n.redis.close();
      n.alive = false;
    }
    const left = [...(await keysWithTtl(c.prefix)).keys()].filter((k) => k.startsWith(`${c.prefix}h:`));
    expect(left).toEqual([]);
  });

  it("reaps a dead node's members, rooms and registration", async () => {
    const c = await start({ agent, redis: { heartbeatMs: 50, nodeTtlMs: 1000 } });
    await c.client(0, { name: 'doomed', namespace: '/k', reconnect: false }).then((x) => x.join('r'));
    const probe = new Redis(REDIS_URL);
    try {
      expect(await probe.hget(`${c.prefix}h:m:/k`, 'doomed')).toMatch(/^node-a\./);
      await c.nodes[0]?.kill();
      await until(async () => (await probe.exists(`${c.prefix}h:m:/k`, `${c.prefix}h:r:/k:r`, `${c.prefix}h:ar:/k:doomed`)) === 0, 'the reaper');
      const nodes = await probe.zrange(`${c.prefix}h:nodes`, 0, -1);
      expect(nodes.some((n) => n.startsWith('node-a.'))).toBe(false);
      expect(nodes.length).toBe(2);
    } finally {
      probe.disconnect();
    }
  });

  it('fails a routed call with 503 when the node holding the callee dies', async () => {
    const c = await start({ agent, redis: { heartbeatMs: 50, nodeTtlMs: 1000 } });
    const worker = new AgentClient({
      connect: c.nodes[0]?.connect ?? (() => Promise.reject(new Error('no node'))),
      name: 'worker',
      namespace: '/k',
      reconnect: false,
      tools: {
        forever: {
          async *handler(_args, ctx) {
            yield 'tick';
            await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
          },
        },
      },
    });
    await worker.connect();
    const boss = await c.client(2, { name: 'boss', namespace: '/k' });
    const call = c.nodes[2]?.server.invokeAgent('/k', 'worker', 'forever');
    if (!call) throw new Error('no node c');
    expect((await call[Symbol.asyncIterator]().next()).value).toBe('tick');
    await c.nodes[0]?.kill();
    await expect(call.result).rejects.toMatchObject({ code: ErrorCode.UNAVAILABLE });
    await expect(boss.invokeAgent('worker', 'forever').result).rejects.toMatchObject({ code: expect.any(Number) });
    await worker.close();
  });

  it('times out a routed call locally, like a local one', async () => {
    const c = await start({ agent });
    await c.client(0, {
      name: 'slow',
      namespace: '/k',
      tools: { nap: { handler: (_args, ctx) => new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve('woke'), { once: true })) } },
    });
    const call = c.nodes[1]?.server.invokeAgent('/k', 'slow', 'nap', {}, { timeoutMs: 50 });
    await expect(call?.result).rejects.toMatchObject({ name: 'AgentSocketError', code: 'TIMEOUT' });
  });
});
