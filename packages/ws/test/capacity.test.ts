import { AgentClient, AgentServer, AgentSocketError } from '@agentsocket/core';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { selectSubprotocol, wsConnector, wsServer } from '../src/index.js';
import { closed, opened, refusal, startServer, testAgent } from './helpers.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function client(url: string): AgentClient {
  const c = new AgentClient({ connect: wsConnector({ url }), reconnect: false });
  cleanups.push(() => c.close());
  return c;
}

describe('wsServer maxConnections', () => {
  it('refuses upgrades past the limit with HTTP 503 and Retry-After, serves those already open, and takes new ones once a slot frees', async () => {
    const { server, url } = await startServer({}, { maxConnections: 2 });
    cleanups.push(() => server.close());
    const a = client(url);
    const b = client(url);
    await a.connect();
    await b.connect();

    const refused = await refusal(url, ['asp-v1']);
    expect(refused.status).toBe(503);
    expect(refused.body).toBe('server at capacity (maxConnections 2); try again later or another node\n');
    const headers = await new Promise<Record<string, unknown>>((resolve) => {
      const socket = new WebSocket(url, ['asp-v1']);
      socket.on('error', () => {});
      socket.once('unexpected-response', (_req, res) => {
        resolve(res.headers);
        socket.terminate();
      });
    });
    expect(headers['retry-after']).toBe('1');

    // An AgentClient sees a retryable handshake failure naming the status.
    const c = client(url);
    const error = await c.connect().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentSocketError);
    expect(String(error)).toContain('503');

    // The two already open are not degraded.
    const stream = a.invoke<{ words: number }>('tokens', { text: 'still served' });
    expect((await stream.result).value).toEqual({ words: 2 });

    await b.close();
    await expect.poll(() => server.sockets.size, { timeout: 5000 }).toBe(1);
    const d = client(url);
    await d.connect();
    expect((await d.invoke<{ words: number }>('tokens', { text: 'a new one' }).result).value).toEqual({ words: 3 });
  });

  it('counts upgrades still being authenticated', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { server, url } = await startServer(
      {
        authenticate: async () => {
          await gate;
          return { id: 'someone' };
        },
      },
      { maxConnections: 1 },
    );
    cleanups.push(() => server.close());
    const slow = new WebSocket(url, ['asp-v1'], { headers: { authorization: 'Bearer t' } });
    slow.on('error', () => {});
    cleanups.push(async () => slow.terminate());
    // The first upgrade waits in authenticate; a second one already finds the server full.
    await new Promise((r) => setTimeout(r, 100));
    expect((await refusal(url, ['asp-v1'])).status).toBe(503);
    release();
    await opened(slow);
  });

  it('closes a connection a wss owner upgraded past the limit with 4503', async () => {
    const agentServer = new AgentServer(testAgent());
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: selectSubprotocol });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    const server = await wsServer({ agentServer, wss, maxConnections: 1 });
    cleanups.push(async () => {
      await server.close();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    });
    const address = wss.address();
    const url = `ws://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
    const first = client(url);
    await first.connect();
    const second = new WebSocket(url, ['asp-v1']);
    second.on('error', () => {});
    await opened(second);
    const { code, reason } = await closed(second);
    expect(code).toBe(4503);
    expect(reason).toBe('server at capacity (maxConnections 1); try again later');
  });

  it('refuses a maxConnections that is not a positive integer', async () => {
    const agentServer = new AgentServer(testAgent());
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      await expect(wsServer({ agentServer, port: 0, maxConnections: bad })).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    }
  });
});
