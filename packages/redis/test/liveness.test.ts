import { createServer, type Server, Socket } from 'node:net';
import { Call, type HubMember, type TeamMessage } from '@agentsocket/core';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisConnection, RedisHub } from '../src/index.js';
import { dropPrefix, REDIS_URL, redisOrSkip, uniquePrefix } from './redis-env.js';

const run = await redisOrSkip();

/** A TCP proxy to Redis whose client → Redis direction can be held, as a node stalled for that long would be. */
class StallProxy {
  private held = false;
  private readonly clients = new Set<Socket>();
  private constructor(private readonly server: Server) {}

  static async start(): Promise<StallProxy> {
    const { hostname, port } = new URL(REDIS_URL);
    let proxy: StallProxy | undefined;
    const server = createServer((client) => {
      const upstream = new Socket();
      upstream.connect(Number(port || 6379), hostname);
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
      client.on('close', () => {
        upstream.destroy();
        proxy?.clients.delete(client);
      });
      proxy?.clients.add(client);
      if (proxy?.held) client.pause();
    });
    proxy = new StallProxy(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('not listening');
    return `redis://127.0.0.1:${address.port}`;
  }

  hold(): void {
    this.held = true;
    for (const c of this.clients) c.pause();
  }

  release(): void {
    this.held = false;
    for (const c of this.clients) c.resume();
  }

  async close(): Promise<void> {
    for (const c of this.clients) c.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function members(n: number, ns = '/live', deliver: (agentId: string, message: TeamMessage) => void = () => {}): HubMember[] {
  return Array.from({ length: n }, (_, i) => ({
    sessionId: `s-${i}`,
    ns,
    agentId: `agent-${i}`,
    principal: { id: 'p' },
    deliver: (message: TeamMessage) => deliver(`agent-${i}`, message),
    invoke: () => new Call('x', '', 'at-least-once'),
  }));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe.runIf(run)('RedisHub liveness under load', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
  });

  async function setup(stalled: { cmd: boolean; beat: boolean }, n: number) {
    const prefix = uniquePrefix();
    const proxy = await StallProxy.start();
    const viaProxy = (yes: boolean) => new RedisConnection({ url: yes ? proxy.url : REDIS_URL, offlineWaitMs: 30_000 });
    const timing = { heartbeatMs: 100, nodeTtlMs: 300, reapAfterMs: 1500 };
    const cmdA = viaProxy(stalled.cmd);
    const beatA = viaProxy(stalled.beat);
    const a = new RedisHub({ connection: cmdA, heartbeatConnection: beatA, prefix, nodeId: 'busy', ...timing });
    const cmdB = new RedisConnection({ url: REDIS_URL });
    const b = new RedisHub({ connection: cmdB, prefix, nodeId: 'watcher', ...timing });
    const probe = new Redis(REDIS_URL);
    cleanups.push(async () => {
      proxy.release();
      await a.close({ abrupt: true });
      await b.close();
      await Promise.all([cmdA.close(), beatA.close(), cmdB.close()]);
      probe.disconnect();
      await proxy.close();
      await dropPrefix(prefix);
    });
    await Promise.all([a.ready(5000), b.ready(5000)]);
    const list = members(n);
    for (let i = 0; i < list.length; i += 500) await Promise.all(list.slice(i, i + 500).map((m) => a.attach(m)));
    await Promise.all(list.slice(0, 50).map((m) => a.join(m, 'all')));
    const count = () => probe.hlen(`${prefix}h:m:/live`);
    expect(await count()).toBe(n);
    return { a, b, proxy, probe, prefix, count };
  }

  it("keeps a node's heartbeat going while its command connection is held up for longer than the node TTL", async () => {
    // The command connection stalls for 6 beats (a backlog of registration work would do the same).
    const { a, proxy, probe, prefix, count } = await setup({ cmd: true, beat: false }, 2000);
    proxy.hold();
    const lowest: number[] = [];
    const until = Date.now() + 2000; // past reapAfterMs: a node taken for dead would be reaped
    while (Date.now() < until) {
      lowest.push(await count());
      await sleep(50);
    }
    proxy.release();
    expect(Math.min(...lowest)).toBe(2000);
    const score = Number(await probe.zscore(`${prefix}h:nodes`, a.instance));
    const [sec, micro] = await probe.time();
    expect(score).toBeGreaterThan(Number(sec) * 1000 + Math.floor(Number(micro) / 1000));
  });

  it('does not reap a node stalled for more than the node TTL but less than reapAfterMs, and it registers nothing again', async () => {
    // Both connections stall, as when the node's event loop is blocked: 4 × nodeTtlMs, under reapAfterMs.
    const { proxy, probe, prefix, count } = await setup({ cmd: true, beat: true }, 2000);
    proxy.hold();
    const lowest: number[] = [];
    const until = Date.now() + 1000;
    while (Date.now() < until) {
      lowest.push(await count());
      await sleep(50);
    }
    // Every attach (a registration) sets the members hash's TTL back to keyTtlMs (1 h): mark it.
    await probe.pexpire(`${prefix}h:m:/live`, 1_234_567);
    proxy.release();
    await sleep(600);
    expect(Math.min(...lowest)).toBe(2000);
    expect(await count()).toBe(2000);
    expect(await probe.pttl(`${prefix}h:m:/live`)).toBeLessThanOrEqual(1_234_567);
  });

  it('a reaped node registers its members again in batches, stays live while it does, and is reaped once', async () => {
    const { a, proxy, probe, prefix, count } = await setup({ cmd: true, beat: true }, 4000);
    proxy.hold();
    await until(async () => (await count()) === 0, 'the reaper', 10_000);
    proxy.release();
    let lapses = 0;
    const deadline = Date.now() + 20_000;
    while ((await count()) < 4000 && Date.now() < deadline) {
      const score = Number(await probe.zscore(`${prefix}h:nodes`, a.instance));
      const [sec, micro] = await probe.time();
      if (score !== 0 && score <= Number(sec) * 1000 + Math.floor(Number(micro) / 1000)) lapses++;
      await sleep(20);
    }
    expect(await count()).toBe(4000);
    expect(lapses).toBe(0);
    // Stable afterwards: still every member a second later, rooms back.
    await sleep(1000);
    expect(await count()).toBe(4000);
    expect(await probe.scard(`${prefix}h:r:/live:all`)).toBe(50);
  });

  it('keeps the event loop turning while a fan-out writes to thousands of local members, in order', async () => {
    const prefix = uniquePrefix();
    const cmd = new RedisConnection({ url: REDIS_URL });
    const hub = new RedisHub({ connection: cmd, prefix, nodeId: 'fan', heartbeatMs: 100, nodeTtlMs: 2000 });
    cleanups.push(async () => {
      await hub.close();
      await cmd.close();
      await dropPrefix(prefix);
    });
    await hub.ready(5000);
    // Each delivery costs 0.5 ms of CPU, as writing a frame to a socket does on a loaded machine: 4,000 are 2 s.
    const got = new Map<string, string[]>();
    const list = members(4000, '/live', (agentId, message) => {
      const end = performance.now() + 0.5;
      while (performance.now() < end) {}
      const seen = got.get(agentId) ?? [];
      seen.push(message.event);
      got.set(agentId, seen);
    });
    for (let i = 0; i < list.length; i += 500) await Promise.all(list.slice(i, i + 500).map((m) => hub.attach(m)));
    let last = performance.now();
    let longest = 0;
    const ticker = setInterval(() => {
      const t = performance.now();
      longest = Math.max(longest, t - last);
      last = t;
    }, 10);
    try {
      const message = (event: string): TeamMessage => ({ id: event, event, data: null, from: 'x', delivery: 'at-most-once' });
      expect(await hub.send('/live', { all: true }, message('first'))).toBe(4000);
      expect(await hub.send('/live', { all: true }, message('second'))).toBe(4000);
      await until(async () => [...got.values()].filter((v) => v.length === 2).length === 4000, 'every delivery', 20_000);
    } finally {
      clearInterval(ticker);
    }
    for (const events of got.values()) expect(events).toEqual(['first', 'second']);
    // Synchronous delivery holds the loop for at least 2 s (4,000 × 0.5 ms of wall time); a turn
    // is 256 × 0.5 ms, plus whatever a loaded machine adds.
    expect(longest).toBeLessThan(1000);
  });
});

async function until(check: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

