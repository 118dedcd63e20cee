import { randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type ChaosOptions, type ChaosProxy, type PlannedFault, startChaosProxy } from '../src/proxy.js';
import { waitFor } from '@agentsocket/cluster/lib';

/** A TCP server that echoes, remembering every connection it accepted and what it received first. */
async function echoServer(): Promise<{ server: Server; port: number; accepted: Socket[]; received: Buffer[]; closedAt: number[] }> {
  const accepted: Socket[] = [];
  const received: Buffer[] = [];
  const closedAt: number[] = [];
  const server = createServer((socket) => {
    const index = accepted.length;
    accepted.push(socket);
    received.push(Buffer.alloc(0));
    socket.on('data', (chunk: Buffer) => {
      received[index] = Buffer.concat([received[index] ?? Buffer.alloc(0), chunk]);
      socket.write(chunk);
    });
    socket.on('error', () => {});
    socket.on('close', () => closedAt.push(Date.now()));
  });
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return { server, port, accepted, received, closedAt };
}

function dial(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Everything a socket receives, and when it closed. */
function collect(socket: Socket): { bytes: () => Buffer; closed: () => number | undefined } {
  const chunks: Buffer[] = [];
  let closed: number | undefined;
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.on('error', () => {});
  socket.on('close', () => {
    closed = Date.now();
  });
  return { bytes: () => Buffer.concat(chunks), closed: () => closed };
}

describe('chaos proxy', () => {
  const stops: Array<() => unknown> = [];
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  });
  const start = async (options: Omit<ChaosOptions, 'upstreamPort'>) => {
    const echo = await echoServer();
    stops.push(() => new Promise((resolve) => echo.server.close(resolve)));
    stops.push(() => {
      for (const s of echo.accepted) s.destroy();
    });
    const proxy: ChaosProxy = await startChaosProxy({ ...options, upstreamPort: echo.port });
    stops.push(() => proxy.close());
    return { echo, proxy };
  };

  it('without faults passes 4 MiB both ways unchanged, in order', async () => {
    const { proxy } = await start({ seed: 1 });
    const socket = await dial(proxy.port);
    const got = collect(socket);
    const sent = randomBytes(4 * 1024 * 1024);
    for (let i = 0; i < sent.length; i += 65_536) socket.write(sent.subarray(i, i + 65_536));
    await waitFor(() => got.bytes().length >= sent.length, 'the echo of 4 MiB', 20_000);
    expect(got.bytes().equals(sent)).toBe(true);
    expect(proxy.stats).toMatchObject({ connections: 1, cuts: 0, bytesUp: sent.length, bytesDown: sent.length });
    socket.destroy();
  });

  it('cuts each connection after a lifetime drawn from the range, both sides, and the draws repeat with the seed', async () => {
    const planned: PlannedFault[] = [];
    const { echo, proxy } = await start({ seed: 42, cut: { minMs: 50, maxMs: 200 }, onFault: (f) => planned.push(f) });
    const opened: number[] = [];
    const closes: Array<() => number | undefined> = [];
    for (let i = 0; i < 8; i++) {
      opened.push(Date.now());
      const socket = await dial(proxy.port);
      closes.push(collect(socket).closed);
    }
    await waitFor(() => closes.every((c) => c() !== undefined) && echo.closedAt.length === 8, 'every connection to be cut', 5000);
    expect(proxy.stats.cuts).toBe(8);
    const lifetimes = planned.map((f) => f.atMs);
    expect(lifetimes.every((ms) => ms >= 50 && ms <= 200)).toBe(true);
    expect(new Set(lifetimes).size).toBeGreaterThan(1);
    closes.forEach((closed, i) => {
      const lived = (closed() ?? 0) - (opened[i] ?? 0);
      expect(lived).toBeGreaterThanOrEqual((lifetimes[i] ?? 0) - 5);
    });

    const again: PlannedFault[] = [];
    const second = await start({ seed: 42, cut: { minMs: 50, maxMs: 200 }, onFault: (f) => again.push(f) });
    for (let i = 0; i < 8; i++) (await dial(second.proxy.port)).on('error', () => {});
    await waitFor(() => again.length === 8, 'eight plans', 5000);
    expect(again.map((f) => f.atMs)).toEqual(lifetimes);
  });

  it('delays every chunk by at least the minimum and keeps their order', async () => {
    const { proxy } = await start({ seed: 7, delay: { minMs: 30, maxMs: 60 } });
    const socket = await dial(proxy.port);
    const got = collect(socket);
    const began = Date.now();
    const parts = Array.from({ length: 50 }, (_, i) => Buffer.from(`part-${i};`));
    for (const p of parts) socket.write(p);
    const want = Buffer.concat(parts);
    await waitFor(() => got.bytes().length >= want.length, 'the delayed echo', 5000);
    expect(Date.now() - began).toBeGreaterThanOrEqual(60); // 30 up + 30 down at least
    expect(got.bytes().toString()).toBe(want.toString());
    socket.destroy();
  });

  it('stalls: nothing passes for the drawn time, nothing is closed, then everything arrives', async () => {
    const planned: PlannedFault[] = [];
    const { proxy } = await start({
      seed: 3,
      stall: { probability: 1, after: { minMs: 0, maxMs: 0 }, for: { minMs: 400, maxMs: 400 } },
      onFault: (f) => planned.push(f),
    });
    const socket = await dial(proxy.port);
    const got = collect(socket);
    await waitFor(() => proxy.stats.stalls === 1, 'the stall to begin', 2000);
    const began = Date.now();
    socket.write('during the stall');
    await waitFor(() => got.bytes().length === 'during the stall'.length, 'the echo after the stall', 5000);
    expect(Date.now() - began).toBeGreaterThanOrEqual(350);
    expect(got.closed()).toBeUndefined();
    expect(planned).toEqual([{ kind: 'stall', connection: 1, atMs: 0, forMs: 400 }]);
    socket.destroy();
  });

  it('duplicates a connection attempt: the upstream sees the same first bytes twice, the client only one answer', async () => {
    const { echo, proxy } = await start({ seed: 5, duplicate: { probability: 1, windowMs: 300, holdMs: { minMs: 50, maxMs: 50 } } });
    const socket = await dial(proxy.port);
    const got = collect(socket);
    socket.write('GET /asp HTTP/1.1\r\n\r\n');
    await waitFor(() => echo.received.filter((r) => r.toString() === 'GET /asp HTTP/1.1\r\n\r\n').length === 2, 'both attempts upstream', 5000);
    await waitFor(() => got.bytes().length > 0, 'the answer', 5000);
    expect(got.bytes().toString()).toBe('GET /asp HTTP/1.1\r\n\r\n');
    expect(proxy.stats.duplicates).toBe(1);
    // The copy is closed after its window and hold; the real connection stays.
    await waitFor(() => echo.closedAt.length === 1, 'the duplicate to close', 5000);
    expect(got.closed()).toBeUndefined();
    socket.destroy();
  });

  it('lingers: a cut client side closes at once, its upstream side only later', async () => {
    const { echo, proxy } = await start({ seed: 9, cut: { minMs: 50, maxMs: 50 }, lingerUpstream: { minMs: 300, maxMs: 300 } });
    const socket = await dial(proxy.port);
    const got = collect(socket);
    await waitFor(() => got.closed() !== undefined, 'the client side to be cut', 2000);
    await waitFor(() => echo.closedAt.length === 1, 'the upstream side to close', 2000);
    expect((echo.closedAt[0] ?? 0) - (got.closed() ?? 0)).toBeGreaterThanOrEqual(250);
  });

  it('refused upstream: the client connection is closed, the proxy keeps serving', async () => {
    const dead = await echoServer();
    await new Promise((resolve) => dead.server.close(resolve));
    const proxy = await startChaosProxy({ seed: 1, upstreamPort: dead.port });
    stops.push(() => proxy.close());
    const socket = await dial(proxy.port);
    const got = collect(socket);
    await waitFor(() => got.closed() !== undefined, 'the client to be closed', 2000);
    const next = await dial(proxy.port);
    expect(next.readyState).toBe('open');
    next.destroy();
  });
});
