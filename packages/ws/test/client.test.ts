import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { AgentClient, type Transport, type TransportCloseInfo } from '@agentsocket/core';
import { SUBPROTOCOL } from '@agentsocket/core/transport';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { wsConnector as browserConnector } from '../src/client.browser.js';
import { wsConnector } from '../src/index.js';
import { startServer } from './helpers.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A plain ws server (no core), selecting asp-v1 unless told otherwise. */
async function rawServer(
  onConnection: (socket: WebSocket, req: IncomingMessage) => void,
  handleProtocols: () => string | false = () => SUBPROTOCOL,
): Promise<string> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  wss.on('connection', onConnection);
  cleanups.push(() => new Promise((resolve) => wss.close(() => resolve())));
  const address = wss.address();
  if (typeof address !== 'object' || address === null) throw new Error('not listening on a port');
  return `ws://127.0.0.1:${address.port}`;
}

/** A binary echo server, to test the client transport without core. */
function echoServer(): Promise<string> {
  return rawServer((s) => s.on('message', (data, isBinary) => s.send(data, { binary: isBinary })));
}

function connect(url: string): Promise<Transport> {
  return wsConnector({ url })(new AbortController().signal);
}

describe('Node wsConnector', () => {
  // The Transport rules themselves are tested on both ends by the compliance suite (compliance.test.ts).
  it('takes maxPayload as the transport’s maxFrameBytes', async () => {
    const url = await echoServer();
    const transport = await wsConnector({ url, maxPayload: 1024 })(new AbortController().signal);
    expect(transport.maxFrameBytes).toBe(1024);
    await transport.close();
  });

  it('sends the bearer token and extra headers on the upgrade', async () => {
    const seen: Array<string | undefined> = [];
    const url = await rawServer((_s, req) => seen.push(req.headers.authorization, String(req.headers['x-trace'])));
    const transport = await wsConnector({ url, token: 't0k', headers: { 'x-trace': 'abc' } })(
      new AbortController().signal,
    );
    expect(seen).toEqual(['Bearer t0k', 'abc']);
    await transport.close();
  });

  it('rejects with CONNECTION_LOST when nothing listens', async () => {
    const http = createServer();
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const address: AddressInfo | string | null = http.address();
    await new Promise((resolve) => http.close(resolve));
    if (typeof address !== 'object' || address === null) throw new Error('not listening');
    const url = `ws://127.0.0.1:${address.port}/asp`;
    await expect(connect(url)).rejects.toMatchObject({
      code: 'CONNECTION_LOST',
      message: `cannot connect to ${url}: connect ECONNREFUSED 127.0.0.1:${address.port}`,
    });
  });

  it('rejects with HANDSHAKE_FAILED on a non-refusal HTTP answer, naming the status', async () => {
    const { server, url } = await startServer();
    cleanups.push(() => server.close());
    await expect(connect(url.replace('/asp', '/nope'))).rejects.toMatchObject({
      code: 'HANDSHAKE_FAILED',
      message: expect.stringContaining('HTTP 404'),
    });
  });

  it('rejects with ABORTED when the signal fires', async () => {
    const never = createServer(); // accepts TCP, never answers the upgrade
    await new Promise<void>((resolve) => never.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise((resolve) => {
          never.close(() => resolve());
          never.closeAllConnections();
        }),
    );
    const address: AddressInfo | string | null = never.address();
    if (typeof address !== 'object' || address === null) throw new Error('not listening');
    const abort = new AbortController();
    const pending = wsConnector({ url: `ws://127.0.0.1:${address.port}/asp` })(abort.signal);
    never.once('upgrade', (_req, socket: Duplex) => {
      abort.abort();
      socket.destroy();
    });
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED' });
    await expect(wsConnector({ url: 'ws://127.0.0.1:1/asp' })(abort.signal)).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('rejects, naming the subprotocol, when the server does not select asp-v1', async () => {
    const url = await rawServer(
      () => {},
      () => false,
    );
    await expect(connect(url)).rejects.toMatchObject({ code: 'CONNECTION_LOST', message: expect.stringContaining('subprotocol') });
  });
});

describe('browser wsConnector (driven here by ws, which speaks the WHATWG API)', () => {
  it('connects, authenticates in HELLO and streams', async () => {
    const { server, url } = await startServer({ authenticate: (t) => (t === 'hello-token' ? { id: 'carol' } : undefined) });
    cleanups.push(() => server.close());
    const client = new AgentClient({ connect: browserConnector({ url, WebSocket }), token: 'hello-token' });
    cleanups.push(() => client.close());
    await client.connect();
    expect((await client.invoke('whoami').result).value).toBe('carol');
    const chunks: unknown[] = [];
    for await (const chunk of client.invoke('tokens', { text: 'a b c' })) chunks.push(chunk);
    expect(chunks).toEqual(['a', 'b', 'c']);
  });

  it('closes with 4400 when a text message arrives', async () => {
    const url = await rawServer((s) => s.send('text'));
    const transport = await browserConnector({ url, WebSocket })(new AbortController().signal);
    const info = new Promise<TransportCloseInfo>((resolve) => {
      transport.onclose = resolve;
    });
    transport.start();
    expect(await info).toMatchObject({ code: 4400, local: true });
  });

  it('rejects with CONNECTION_LOST when the upgrade is refused', async () => {
    const { server, url } = await startServer();
    cleanups.push(() => server.close());
    const wrong = url.replace('/asp', '/nope');
    await expect(browserConnector({ url: wrong, WebSocket })(new AbortController().signal)).rejects.toMatchObject({
      code: 'CONNECTION_LOST',
      message: expect.stringMatching(new RegExp(`^cannot connect to ${wrong}: the connection closed with code \\d+ before it opened`)),
    });
  });
});
