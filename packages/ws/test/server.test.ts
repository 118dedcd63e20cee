import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { AgentClient, AgentServer, CloseCode, ErrorCode, type Principal, ProtocolError } from '@agentsocket/core';
import { SUBPROTOCOL } from '@agentsocket/core/transport';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { selectSubprotocol, wsConnector, wsServer } from '../src/index.js';
import { closed, opened, refusal, startServer, testAgent } from './helpers.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function started(...args: Parameters<typeof startServer>) {
  const s = await startServer(...args);
  cleanups.push(() => s.server.close());
  return s;
}

function client(url: string, options: { token?: string; helloToken?: string } = {}): AgentClient {
  const c = new AgentClient({
    connect: wsConnector({ url, ...(options.token === undefined ? {} : { token: options.token }) }),
    ...(options.helloToken === undefined ? {} : { token: options.helloToken }),
    reconnect: false,
  });
  cleanups.push(() => c.close());
  return c;
}

describe('wsServer', () => {
  it('listens on port 0 and reports the bound address and url', async () => {
    const { server } = await started();
    const address = server.address();
    expect(address?.port).toBeGreaterThan(0);
    expect(server.url).toBe(`ws://127.0.0.1:${address?.port}/asp`);
  });

  it('needs exactly one of port, server and wss', async () => {
    const agentServer = new AgentServer(testAgent());
    await expect(wsServer({ agentServer })).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    await expect(wsServer({ agentServer, port: 0, wss: new WebSocketServer({ noServer: true }) })).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
    });
  });

  it('refuses an upgrade that does not offer asp-v1 with HTTP 426', async () => {
    const { url } = await started();
    expect((await refusal(url)).status).toBe(426);
    const other = await refusal(url, ['graphql-ws']);
    expect(other.status).toBe(426);
    expect(other.body).toContain(SUBPROTOCOL);
  });

  it('selects asp-v1 among several offered subprotocols', async () => {
    const { url } = await started();
    const socket = new WebSocket(url, ['graphql-ws', SUBPROTOCOL]);
    await opened(socket);
    expect(socket.protocol).toBe(SUBPROTOCOL);
    socket.close();
    await closed(socket);
  });

  it('refuses requests on other paths with 404 when nothing else handles upgrades', async () => {
    const { url } = await started();
    expect((await refusal(url.replace('/asp', '/elsewhere'), [SUBPROTOCOL])).status).toBe(404);
  });
});

describe('bearer auth at the upgrade', () => {
  const calls: Array<{ token: string | undefined; principal: Principal | undefined }> = [];
  const authenticate = (token: string | undefined, info: { principal?: Principal }) => {
    calls.push({ token, principal: info.principal });
    return token === 'good' ? { id: 'alice' } : undefined;
  };
  afterEach(() => {
    calls.length = 0;
  });

  it('refuses a bad token with HTTP 401 and a clear error, which stops reconnecting', async () => {
    const { url } = await started({ authenticate });
    const refused = await refusal(url, [SUBPROTOCOL], { headers: { authorization: 'Bearer bad' } });
    expect(refused.status).toBe(401);
    const error = await client(url, { token: 'bad' })
      .connect()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error).toMatchObject({ code: ErrorCode.UNAUTHORIZED });
    expect(String(error)).toContain('401');
  });

  it('refuses an Authorization header that is not a bearer token', async () => {
    const { url } = await started({ authenticate });
    expect((await refusal(url, [SUBPROTOCOL], { headers: { authorization: 'Basic YWxpY2U6cHc=' } })).status).toBe(401);
    expect(calls).toEqual([]);
  });

  it('passes the principal to core, which does not authenticate again', async () => {
    const { url } = await started({ authenticate });
    const c = client(url, { token: 'good' });
    await c.connect();
    expect((await c.invoke('whoami').result).value).toBe('alice');
    expect(calls).toEqual([{ token: 'good', principal: undefined }]);
  });

  it('lets a connection without the header through, for a token in HELLO (browsers)', async () => {
    const { url } = await started({ authenticate });
    const c = client(url, { helloToken: 'good' });
    await c.connect();
    expect((await c.invoke('whoami').result).value).toBe('alice');
  });

  it('leaves a missing token to core: ERROR 401 and close 4401', async () => {
    const { url } = await started({ authenticate });
    const error = await client(url)
      .connect()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ProtocolError', code: ErrorCode.UNAUTHORIZED });
  });

  it('answers 500 and reports the error when the authenticate hook throws', async () => {
    const { url, server } = await started({
      authenticate: () => {
        throw new Error('auth backend down');
      },
    });
    const errors: Error[] = [];
    server.on('error', (e) => errors.push(e));
    expect((await refusal(url, [SUBPROTOCOL], { headers: { authorization: 'Bearer x' } })).status).toBe(500);
    expect(errors.map((e) => e.message)).toEqual(['auth backend down']);
  });
});

describe('sharing a port', () => {
  async function httpServer(): Promise<{ http: Server; port: number }> {
    const http = createServer((req, res) => {
      res.end(req.url === '/health' ? 'ok' : 'other');
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise((resolve) => {
          http.close(() => resolve());
          http.closeAllConnections();
        }),
    );
    const address: AddressInfo | string | null = http.address();
    if (typeof address !== 'object' || address === null) throw new Error('not listening');
    return { http, port: address.port };
  }

  it('attaches to an existing http.Server beside plain HTTP and another WebSocket endpoint', async () => {
    const { http, port } = await httpServer();
    // Another WebSocket endpoint on the same server, on its own path.
    const echo = new WebSocketServer({ noServer: true });
    echo.on('connection', (s) => s.on('message', (data, isBinary) => s.send(data, { binary: isBinary })));
    http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (req.url === '/echo') echo.handleUpgrade(req, socket, head, (s) => echo.emit('connection', s, req));
    });
    const agentServer = new AgentServer(testAgent());
    const server = await wsServer({ agentServer, server: http, path: '/agents' });
    cleanups.push(() => server.close());
    expect(server.url).toBe(`ws://127.0.0.1:${port}/agents`);

    const c = client(`ws://127.0.0.1:${port}/agents`);
    await c.connect();
    expect((await c.invoke('whoami').result).value).toBe('anonymous');

    const other = new WebSocket(`ws://127.0.0.1:${port}/echo`);
    await opened(other);
    const reply = new Promise<string>((resolve) => other.once('message', (data) => resolve(String(data))));
    other.send('ping');
    expect(await reply).toBe('ping');
    other.close();

    await server.close();
    // Closing the ASP endpoint leaves the server it was given running.
    expect(await (await fetch(`http://127.0.0.1:${port}/health`)).text()).toBe('ok');
    expect(http.listening).toBe(true);
  });

  it('uses an existing WebSocketServer: routed through handleUpgrade, or upgraded by its owner', async () => {
    const { http, port } = await httpServer();
    const wss = new WebSocketServer({ noServer: true, handleProtocols: selectSubprotocol });
    const agentServer = new AgentServer(testAgent(), { authenticate: (t) => (t === 'good' ? { id: 'bob' } : undefined) });
    const server = await wsServer({ agentServer, wss });
    cleanups.push(async () => {
      await server.close();
      wss.close();
    });
    http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (req.url === '/routed') server.handleUpgrade(req, socket, head);
      else wss.handleUpgrade(req, socket, head, (s) => wss.emit('connection', s, req));
    });
    const routed = client(`ws://127.0.0.1:${port}/routed`, { token: 'good' });
    await routed.connect();
    expect((await routed.invoke('whoami').result).value).toBe('bob');
    expect((await refusal(`ws://127.0.0.1:${port}/routed`, [SUBPROTOCOL], { headers: { authorization: 'Bearer bad' } })).status).toBe(
      401,
    );

    // Upgraded without us: the same checks end the connection with close codes instead.
    const direct = new WebSocket(`ws://127.0.0.1:${port}/direct`, [SUBPROTOCOL], { headers: { authorization: 'Bearer bad' } });
    expect((await closed(direct)).code).toBe(CloseCode.UNAUTHORIZED);
    const noProtocol = new WebSocket(`ws://127.0.0.1:${port}/direct`);
    expect((await closed(noProtocol)).code).toBe(CloseCode.UNSUPPORTED_VERSION);
    const good = client(`ws://127.0.0.1:${port}/direct`, { token: 'good' });
    await good.connect();
    expect((await good.invoke('whoami').result).value).toBe('bob');
  });
});

describe('bad input and limits', () => {
  it('closes a connection that sends a text message with 4400; another keeps working', async () => {
    const { url } = await started();
    const bystander = client(url);
    await bystander.connect();
    const socket = new WebSocket(url, [SUBPROTOCOL]);
    await opened(socket);
    const done = closed(socket);
    socket.send('{"type":"invoke"}');
    expect((await done).code).toBe(CloseCode.BAD_FRAME);
    const call = bystander.invoke('tokens', { text: 'still here' });
    const chunks: unknown[] = [];
    for await (const chunk of call) chunks.push(chunk);
    expect(chunks).toEqual(['still', 'here']);
  });

  it('closes with 1009 a message over maxPayload', async () => {
    const { url } = await started({}, { maxPayload: 1024 });
    const socket = new WebSocket(url, [SUBPROTOCOL]);
    await opened(socket);
    const done = closed(socket);
    socket.send(new Uint8Array(2048));
    expect((await done).code).toBe(CloseCode.MESSAGE_TOO_BIG);
  });

  it('pings and ends a socket that stops answering pongs', async () => {
    // Wide enough that a loaded CI machine still answers in time; the silent socket goes after two intervals.
    const { url, server } = await started({}, { pingIntervalMs: 250 });
    const lively = new WebSocket(url, [SUBPROTOCOL]);
    const silent = new WebSocket(url, [SUBPROTOCOL], { autoPong: false });
    await Promise.all([opened(lively), opened(silent)]);
    let pings = 0;
    lively.on('ping', () => pings++);
    const firstServerClose = Promise.race([...server.sockets].map((s) => closed(s)));
    expect((await closed(silent)).code).toBe(1006); // terminated: no close frame
    await firstServerClose;
    // The socket that answers is still there after the silent one was ended.
    expect(pings).toBeGreaterThanOrEqual(1);
    expect(lively.readyState).toBe(WebSocket.OPEN);
    expect(server.sockets.size).toBe(1);
    lively.close();
  });
});

describe('close()', () => {
  it('sends GOAWAY, closes every socket and the listener it created', async () => {
    const { url, server } = await started();
    const c = new AgentClient({ connect: wsConnector({ url }), reconnect: { initialMs: 5, maxMs: 10, maxAttempts: 1 } });
    cleanups.push(() => c.close());
    await c.connect();
    const disconnected = new Promise<number>((resolve) => c.on('disconnect', (info) => resolve(info.code)));
    await server.close();
    expect(await disconnected).toBe(CloseCode.SERVER_SHUTDOWN);
    expect(server.sockets.size).toBe(0);
    await expect(wsConnector({ url })(new AbortController().signal)).rejects.toMatchObject({ code: 'CONNECTION_LOST' });
  });
});
