import { createServer } from 'node:http';
import { createServer as createNetServer, type Socket as NetSocket } from 'node:net';
import { AgentClient, AgentSocketError } from '@agentsocket/core';
import { Server } from 'socket.io';
import { afterEach, describe, expect, it } from 'vitest';
import { socketIoConnector } from '../src/index.js';
import { type CutProxy, type CutStage, cutProxy } from './cut-proxy.js';
import { setup } from './helpers.js';

/**
 * The connector gives up as soon as an attempt is lost, at every stage of the Socket.IO
 * handshake, rather than waiting out its 20 s timeout; the error names the URL and the cause.
 * Real socket.io server and socket.io-client, cut by a TCP proxy or by the server.
 */
const start = setup();
const proxies: CutProxy[] = [];
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const p of proxies.splice(0)) await p.close();
  for (const c of closers.splice(0)) await c();
});

/** Fast means well under the 20 s default timeout, with room for a loaded machine. */
const FAST_MS = 3000;

async function attempt(url: string, timeoutMs?: number): Promise<{ error: unknown; ms: number }> {
  const started = performance.now();
  const connect = socketIoConnector({ url, ...(timeoutMs === undefined ? {} : { timeoutMs }) });
  const error: unknown = await connect(new AbortController().signal).then(
    async (transport) => {
      await transport.close(1000, 'unexpected');
      return undefined;
    },
    (e: unknown) => e,
  );
  return { error, ms: performance.now() - started };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

describe('the Socket.IO connector fails fast on every kind of cut', () => {
  it('passes through the proxy when nothing is cut (the proxy itself is sound)', async () => {
    const s = await start();
    const proxy = await cutProxy(Number(new URL(s.url).port), 'pass');
    proxies.push(proxy);
    const { error } = await attempt(proxy.url);
    expect(error).toBeUndefined();
  });

  it('nothing listens: HANDSHAKE_FAILED naming the URL and the refusal', async () => {
    const s = await start();
    const proxy = await cutProxy(Number(new URL(s.url).port));
    const url = proxy.url;
    await proxy.close(); // the port is free again, nothing listens
    const { error, ms } = await attempt(url);
    expect(error).toBeInstanceOf(AgentSocketError);
    expect(error).toMatchObject({ code: 'HANDSHAKE_FAILED' });
    expect(messageOf(error)).toContain(`${url}/asp`);
    expect(messageOf(error)).toMatch(/websocket error|ECONNREFUSED/);
    expect(ms).toBeLessThan(FAST_MS);
  });

  const cuts: Array<[CutStage, string, RegExp]> = [
    ['after-open', 'TCP cut right after the Engine.IO open', /transport close/],
    ['on-join', 'TCP cut as the namespace CONNECT goes up', /transport close/],
    ['garbage', 'a WebSocket protocol error after the open', /websocket error|transport error/],
  ];
  it.each(cuts)('%s (%s): rejects at once, naming the URL and the cause', async (stage, _what, cause) => {
    const s = await start();
    const proxy = await cutProxy(Number(new URL(s.url).port), stage);
    proxies.push(proxy);
    const { error, ms } = await attempt(proxy.url);
    expect(error).toBeInstanceOf(AgentSocketError);
    expect(error).toMatchObject({ code: expect.stringMatching(/^(CONNECTION_LOST|HANDSHAKE_FAILED)$/) });
    expect(messageOf(error)).toContain(`${proxy.url}/asp`);
    expect(messageOf(error)).toMatch(cause);
    expect(ms).toBeLessThan(FAST_MS);
    expect(s.agentServer.accepted).toHaveLength(0);
  });

  it('the server closes the Engine.IO connection before the namespace join', async () => {
    const s = await start();
    s.server.io.engine.on('connection', (socket: { close(): void }) => socket.close());
    const { error, ms } = await attempt(s.url);
    expect(error).toMatchObject({ code: 'CONNECTION_LOST', message: expect.stringContaining(`${s.url}/asp: connection closed before the namespace was joined`) });
    expect(ms).toBeLessThan(FAST_MS);
  });

  it('a stalled connection: the Engine.IO ping timeout ends it, not the connector timeout', async () => {
    const http = createServer();
    const io = new Server(http, { pingInterval: 200, pingTimeout: 200, transports: ['websocket'] });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    closers.push(() => io.close());
    const address = http.address();
    const proxy = await cutProxy(typeof address === 'object' && address !== null ? address.port : 0, 'stall');
    proxies.push(proxy);
    const { error, ms } = await attempt(proxy.url);
    expect(error).toMatchObject({ code: 'CONNECTION_LOST', message: expect.stringMatching(/ping timeout/) });
    expect(messageOf(error)).toContain(`${proxy.url}/asp`);
    expect(ms).toBeLessThan(FAST_MS);
  });

  it('a server that accepts TCP and never answers the upgrade: HANDSHAKE_TIMEOUT after timeoutMs', async () => {
    const held = new Set<NetSocket>();
    const silent = createNetServer((socket) => void held.add(socket)); // holds each connection open, says nothing
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    closers.push(async () => {
      for (const socket of held) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    });
    const address = silent.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
    const { error, ms } = await attempt(url, 300);
    expect(error).toMatchObject({ code: 'HANDSHAKE_TIMEOUT', message: `${url}/asp: no Socket.IO connection within 300 ms` });
    expect(ms).toBeLessThan(FAST_MS);
  });

  it('a stalled connection with the default pings: HANDSHAKE_TIMEOUT after timeoutMs, naming the URL', async () => {
    const s = await start();
    const proxy = await cutProxy(Number(new URL(s.url).port), 'stall');
    proxies.push(proxy);
    const { error, ms } = await attempt(proxy.url, 300);
    expect(error).toMatchObject({ code: 'HANDSHAKE_TIMEOUT', message: `${proxy.url}/asp: no Socket.IO connection within 300 ms` });
    expect(ms).toBeGreaterThanOrEqual(290);
    expect(ms).toBeLessThan(FAST_MS);
  });
});

describe('AgentClient over the Socket.IO connector when attempts are cut', () => {
  it('connect() retries cut attempts at once and says why; a later cut reconnects as fast', async () => {
    const s = await start();
    const proxy = await cutProxy(Number(new URL(s.url).port), 'after-open');
    proxies.push(proxy);
    const client = new AgentClient({ connect: socketIoConnector({ url: proxy.url }), reconnect: { initialMs: 20, maxMs: 100 } });
    closers.push(() => client.close());
    const causes: string[] = [];
    client.on('reconnecting', (info) => {
      causes.push(`${String(info.cause.code)} ${info.cause.message}`);
      if (causes.length === 2) proxy.stage = 'pass'; // two cut attempts, then the path is clear
    });
    const started = performance.now();
    await client.connect();
    expect(performance.now() - started).toBeLessThan(FAST_MS);
    expect(causes).toHaveLength(2);
    for (const cause of causes) expect(cause).toMatch(new RegExp(`^CONNECTION_LOST ${proxy.url}/asp: connection closed before the namespace was joined \\(transport close`));

    // Cut the live connection, and the first reconnect after the Engine.IO open.
    proxy.stage = 'on-join';
    const back = new Promise<number>((resolve) => {
      let since = 0;
      client.on('disconnect', () => {
        since = performance.now();
      });
      client.on('connect', () => resolve(performance.now() - since));
    });
    causes.length = 0; // the listener above clears the path again after two cut attempts
    for (const end of s.agentServer.accepted) await end.transport.close(4503, 'cut');
    expect(await back).toBeLessThan(FAST_MS);
    expect(causes[0]).toMatch(/^CONNECTION_LOST connection closed/);
    expect(causes[1]).toContain('connection closed before the namespace was joined');
    expect((await client.invoke('echo', { ok: true }).result).value).toEqual({ ok: true });
  });
});
