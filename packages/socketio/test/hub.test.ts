import { createServer } from 'node:http';
import {
  AgentClient,
  AgentServer,
  type AgentServerOptions,
  defineAgent,
  ErrorCode,
  LocalErrorWireCode,
  type TeamMessage,
  type Transport,
  type TransportCloseInfo,
} from '@agentsocket/core';
import { decodeFrame, FrameType, peekHeader, transportSymbol } from '@agentsocket/core/transport';
import { createCodec, parseMessage, unreliableMessageFrame } from '@agentsocket/core/internal';
import { until } from '@agentsocket/compliance';
import { Server } from 'socket.io';
import { io as ioClient } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { HubProtocolError, parseAnswer, parseRequest } from '../src/hub-protocol.js';

import { socketIoConnector } from '../src/index.js';
import { type SocketIoServerInit, socketIoHub, socketIoServer } from '../src/index.server.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** One node: a Socket.IO server with socketIoHub and the teams mapping (unless `init` says otherwise). */
async function node(init: Partial<SocketIoServerInit> = {}, options: AgentServerOptions = {}) {
  const http = createServer();
  const io = new Server(http, { transports: ['websocket'], maxHttpBufferSize: 17 * 1024 * 1024 });
  const hub = socketIoHub(io);
  const agentServer = new AgentServer(defineAgent({ name: 'hub-test', tools: {} }), { heartbeatMs: 60_000, teams: { hub }, ...options });
  const sio = await socketIoServer({ agentServer, io, namespace: /^\/[\w-]+$/, teamNamespaces: true, ...init });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const address = http.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  cleanups.push(async () => {
    agentServer.close();
    await sio.close();
    await hub.close();
    await io.close();
  });
  const client = (ioNamespace: string, options: { name?: string; namespace?: string } = {}) => {
    const c = new AgentClient({ connect: socketIoConnector({ url, namespace: ioNamespace }), reconnect: false, ...options });
    cleanups.push(() => c.close());
    return c;
  };
  return { io, hub, agentServer, url, client };
}

describe('teamNamespaces', () => {
  it('puts each session in the team namespace of its Socket.IO namespace; HELLO may omit it', async () => {
    const n = await node();
    const c = n.client('/team-alpha', { name: 'a' });
    await c.connect();
    expect(c.team).toEqual({ namespace: '/team-alpha', agentId: 'a' });
  });

  it('refuses (403) a HELLO that asks for another namespace than the socket is in', async () => {
    const n = await node();
    const c = n.client('/team-alpha', { name: 'a', namespace: '/team-beta' });
    await expect(c.connect()).rejects.toMatchObject({ code: ErrorCode.FORBIDDEN });
  });

  it('needs a string or RegExp namespace', async () => {
    const io = new Server();
    const agentServer = new AgentServer(defineAgent({ name: 'x', tools: {} }));
    await expect(socketIoServer({ agentServer, io, namespace: () => true, teamNamespaces: true })).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
  });

  it('is required with socketIoHub', async () => {
    await expect(node({ namespace: '/asp', teamNamespaces: false })).rejects.toThrow(/teamNamespaces: true/);
  });
});

describe('socketIoHub on one node', () => {
  it('keeps the control namespace for servers: clients are refused there', async () => {
    const n = await node();
    const socket = ioClient(`${n.url}/asp-hub`, { transports: ['websocket'], reconnection: false });
    cleanups.push(() => {
      socket.disconnect();
    });
    const refused = await new Promise<Error>((resolve) => socket.on('connect_error', resolve));
    expect(refused.message).toMatch(/between servers/);
  });

  it('makes room membership Socket.IO rooms and leaves them with the session', async () => {
    const n = await node();
    const a = n.client('/ops', { name: 'a' });
    await a.connect();
    await a.join('compute-workers');
    expect((await n.io.of('/ops').in('compute-workers').fetchSockets()).length).toBe(1);
    await a.close();
    await until(() => n.io.of('/ops').adapter.rooms.get('compute-workers') === undefined, 'the room to empty');
    expect(await n.hub.members('/ops', 'compute-workers')).toEqual([]);
  });

  it('broadcasts at-most-once messages to clients of every codec', async () => {
    const n = await node();
    const sender = n.client('/mix', { name: 'sender' });
    const viaJson = new AgentClient({ connect: socketIoConnector({ url: n.url, namespace: '/mix' }), name: 'j', codecs: ['json'], reconnect: false });
    const viaPack = new AgentClient({ connect: socketIoConnector({ url: n.url, namespace: '/mix' }), name: 'm', codecs: ['msgpack'], reconnect: false });
    cleanups.push(() => viaJson.close(), () => viaPack.close());
    await Promise.all([sender.connect(), viaJson.connect(), viaPack.connect()]);
    const got: string[] = [];
    viaJson.on('message', (m) => got.push(`json:${String(m.data)}`));
    viaPack.on('message', (m) => got.push(`msgpack:${String(m.data)}`));
    expect(await sender.broadcast('hi', 'x', { delivery: 'at-most-once' })).toBe(2);
    await until(() => got.length === 2, 'one copy each');
    expect(got.sort()).toEqual(['json:x', 'msgpack:x']);
  });
});

/** A transport wrapped as instrumentation wraps it (a plain object, not the transport's class), noting the type of each frame sent. */
class Watched implements Transport {
  readonly [transportSymbol] = true as const;
  readonly kind: string;
  readonly maxFrameBytes: number;
  readonly enableBatching: (() => void) | undefined;
  onframe: ((frame: Uint8Array) => void) | undefined;
  onclose: ((info: TransportCloseInfo) => void) | undefined;
  constructor(
    private readonly inner: Transport,
    private readonly sent: number[],
  ) {
    this.kind = inner.kind;
    this.maxFrameBytes = inner.maxFrameBytes;
    const batching = inner.enableBatching;
    this.enableBatching = batching ? () => batching.call(inner) : undefined;
    inner.onframe = (f) => this.onframe?.(f);
    inner.onclose = (i) => this.onclose?.(i);
  }
  get bufferedAmount(): number {
    return this.inner.bufferedAmount;
  }
  get open(): boolean {
    return this.inner.open;
  }
  start(): void {
    this.inner.start();
  }
  send(frame: Uint8Array): void {
    this.inner.send(frame);
    this.sent.push(peekHeader(frame)?.type ?? -1);
  }
  close(code?: number, reason?: string): Promise<void> {
    return this.inner.close(code, reason);
  }
}

describe('socketIoHub and the transports', () => {
  it("sends at-most-once messages through each member's transport, wrapped by instrumentation or not", async () => {
    const sent: number[] = [];
    const n = await node({}, { instrumentation: { connection: (t) => new Watched(t, sent) } });
    const [sender, a, b] = ['sender', 'a', 'b'].map((name) => n.client('/watched', { name }));
    if (!sender || !a || !b) throw new Error('three clients');
    await Promise.all([sender.connect(), a.connect(), b.connect()]);
    const got: string[] = [];
    for (const c of [a, b]) c.on('message', (m) => got.push(String(m.data)));
    sent.length = 0;
    expect(await sender.broadcast('hi', 'x', { delivery: 'at-most-once' })).toBe(2);
    await until(() => got.length === 2, 'both copies');
    // Two MESSAGE frames went out through the transports' send (the sender's COMPLETE too), none around them.
    expect(sent.filter((t) => t === FrameType.MESSAGE)).toHaveLength(2);
  });

  it('counts and delivers at-most-once messages to connected members only', async () => {
    const n = await node();
    const [sender, a, b] = ['sender', 'a', 'b'].map((name) => n.client('/gone', { name }));
    if (!sender || !a || !b) throw new Error('three clients');
    await Promise.all([sender.connect(), a.connect(), b.connect()]);
    const got: string[] = [];
    a.on('message', (m) => got.push(String(m.data)));
    await b.dropConnection();
    await until(() => n.io.of('/gone').sockets.size === 2, "b's socket to go");
    expect(await sender.broadcast('hi', 'x', { delivery: 'at-most-once' })).toBe(1);
    await until(() => got.length === 1, "a's copy");
  });
});

describe('hub wire formats', () => {
  it('encodes at-most-once MESSAGE frames as core reads them: no RELIABLE flag, no sq', () => {
    const message: TeamMessage = { id: '01J', event: 'ev', data: { n: 1 }, from: 'a', room: 'r', delivery: 'at-most-once' };
    for (const name of ['msgpack', 'json']) {
      const codec = createCodec(name);
      const frame = decodeFrame(unreliableMessageFrame(codec, message));
      expect(frame.type).toBe(FrameType.MESSAGE);
      expect(frame.flags).toBe(0);
      const payload = codec.decode(frame.payload);
      expect(payload).not.toHaveProperty('sq');
      expect(parseMessage(frame.type, payload)).toEqual({ type: FrameType.MESSAGE, id: '01J', event: 'ev', data: { n: 1 }, from: 'a', room: 'r' });
    }
  });

  it('validates requests and answers from other nodes', () => {
    expect(parseRequest({ type: 'send', ns: '/a', target: { room: 'r' }, except: 'x' })).toEqual({ type: 'send', ns: '/a', target: { room: 'r' }, except: 'x' });
    expect(() => parseRequest({ type: 'send', ns: '/a', target: { room: 'r' }, message: { id: 1 } })).toThrow(/id must be a string/);
    expect(() => parseRequest({ type: 'invoke', from: 'n', call: 'c', ns: '/a', to: 'b', tool: 't', delivery: 'maybe' })).toThrow(/delivery/);
    expect(() => parseRequest({ type: 'chunk', node: 'n', call: 'c', seq: -1 })).toThrow(/seq/);
    expect(() => parseRequest({ type: 'nope' })).toThrow(/unknown hub request/);
    expect(() => parseRequest('send')).toThrow(/object/);
    expect(parseRequest({ type: 'end', node: 'n', call: 'c', outcome: { ok: false, code: 404, message: 'no' } })).toEqual({
      type: 'end',
      node: 'n',
      call: 'c',
      outcome: { ok: false, code: 404, message: 'no' },
    });
    const invoke = { type: 'invoke', from: 'n', call: 'c', ns: '/a', to: 'b', tool: 't', args: { x: 1 }, delivery: 'exactly-once' };
    const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    expect(parseRequest({ ...invoke, timeoutMs: 50, messageId: 'order-7:a', traceparent: tp, metrics: true })).toEqual({
      ...invoke,
      timeoutMs: 50,
      messageId: 'order-7:a',
      traceparent: tp,
      metrics: true,
    });
    expect(parseRequest({ ...invoke, messageId: null, traceparent: null, metrics: false })).toEqual(invoke);
    const bad = (fields: Record<string, unknown>) => () => parseRequest({ ...invoke, ...fields });
    expect(bad({ messageId: 'two words' })).toThrow(HubProtocolError);
    expect(bad({ messageId: 'two words' })).toThrow(/messageId must be 1 to 128 characters/);
    expect(bad({ messageId: 'x'.repeat(129) })).toThrow(HubProtocolError);
    expect(bad({ messageId: 7 })).toThrow(HubProtocolError);
    expect(bad({ traceparent: 1 })).toThrow(/traceparent must be a string/);
    expect(bad({ metrics: 'yes' })).toThrow(/metrics must be a boolean/);
    expect(parseAnswer('send', { type: 'send', count: 3 })).toEqual({ type: 'send', count: 3 });
  });

  it("validates a failed outcome's local error code against core's table (LocalErrorWireCode)", () => {
    const end = (outcome: Record<string, unknown>) => parseRequest({ type: 'end', node: 'n', call: 'c', outcome: { ok: false, message: 'no', ...outcome } });
    expect(end({ code: LocalErrorWireCode.FRAME_TOO_LARGE, local: 'FRAME_TOO_LARGE' })).toEqual({
      type: 'end',
      node: 'n',
      call: 'c',
      outcome: { ok: false, code: 413, message: 'no', local: 'FRAME_TOO_LARGE' },
    });
    expect(end({ code: 500, local: 'INVALID_OPTIONS' })).toMatchObject({ outcome: { code: 500, local: 'INVALID_OPTIONS' } });
    expect(end({ code: 503, local: null })).toEqual({ type: 'end', node: 'n', call: 'c', outcome: { ok: false, code: 503, message: 'no' } });
    expect(() => end({ code: 500, local: 'NO_SUCH_CODE' })).toThrow(HubProtocolError);
    expect(() => end({ code: 500, local: 'NO_SUCH_CODE' })).toThrow(/unknown local error code "NO_SUCH_CODE"/);
    expect(() => end({ code: 500, local: 'toString' })).toThrow(/unknown local error code/);
    expect(() => end({ code: 500, local: 'TIMEOUT' })).toThrow(/local error TIMEOUT is wire code 408, not 500/);
    expect(() => end({ code: 500, local: 7 })).toThrow(/local must be a string/);
    expect(() => parseAnswer('send', { type: 'claim', conflict: true })).toThrow(/send answer/);
  });
});
