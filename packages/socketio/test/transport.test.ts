import { CloseCode, type Transport } from '@agentsocket/core';
import { io, type Socket } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import { CLOSE_EVENT, FRAME_EVENT } from '../src/index.js';
import { closed, setup } from './helpers.js';

const start = setup();
const MiB = 1024 * 1024;
/** Socket.IO's own bytes around a frame (the event's header packet, a ping), counted in the backlog too. */
const PACKET_SLACK = 1024;

/** A plain socket.io-client socket on the ASP namespace, for sending what AgentClient never would. */
function rawSocket(url: string): Socket {
  return io(`${url}/asp`, { transports: ['websocket'], reconnection: false, forceNew: true });
}

function whenConnected(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.on('connect', resolve);
    socket.on('connect_error', reject);
  });
}

/** Resolves with the close event (if any) and the disconnect reason of a raw socket. */
function whenDropped(socket: Socket): Promise<{ close: unknown[] | undefined; reason: string }> {
  let close: unknown[] | undefined;
  socket.on(CLOSE_EVENT, (...args: unknown[]) => {
    close = args;
  });
  return new Promise((resolve) => socket.on('disconnect', (reason) => resolve({ close, reason })));
}

/** The next frame a started transport receives. */
function nextFrame(transport: Transport): Promise<Uint8Array> {
  return new Promise((resolve) => {
    transport.onframe = resolve;
  });
}

describe('bad input from a Socket.IO peer', () => {
  it.each([
    ['a text payload on the frame event', (s: Socket) => s.emit(FRAME_EVENT, 'not binary')],
    ['an event that is not ASP', (s: Socket) => s.emit('chat', new Uint8Array([1]))],
    ['a frame with an acknowledgement', (s: Socket) => s.emit(FRAME_EVENT, new Uint8Array([1]), () => {})],
  ])('closes only the socket that sent %s (4400)', async (_what, misbehave) => {
    const s = await start();
    const bystander = await s.client();
    const raw = rawSocket(s.url);
    await whenConnected(raw);
    const dropped = whenDropped(raw);
    misbehave(raw);
    const { close, reason } = await dropped;
    expect(close?.[0]).toBe(CloseCode.BAD_FRAME);
    expect(reason).toBe('io server disconnect');
    expect((await bystander.invoke('echo', { still: 'here' }).result).value).toEqual({ still: 'here' });
  });

  it('survives a packet Socket.IO itself cannot decode', async () => {
    const s = await start();
    const bystander = await s.client();
    const raw = rawSocket(s.url);
    await whenConnected(raw);
    const dropped = whenDropped(raw);
    raw.io.engine.send('this is not a socket.io packet');
    expect((await dropped).reason).toBe('transport close');
    expect((await bystander.invoke('echo', { still: 'here' }).result).value).toEqual({ still: 'here' });
  });
});

describe('the transport over a real Socket.IO connection', () => {
  it('opens one fresh connection per connector call and fires onclose once on a drop', async () => {
    const s = await start();
    s.agentServer.passThrough = false;
    const connect = s.connector();
    const a = await connect(new AbortController().signal);
    const b = await connect(new AbortController().signal);
    const [sa, sb] = [(await s.agentServer.nth(1)).transport, (await s.agentServer.nth(2)).transport];
    let aCloses = 0;
    const aClosed = new Promise<unknown>((resolve) => {
      a.onclose = (info) => {
        aCloses++;
        resolve(info);
      };
    });
    a.onframe = () => {};
    a.start();
    b.start();
    sa.start();
    sb.start();
    expect(s.server.connections).toBe(2);
    await a.close();
    expect(await aClosed).toMatchObject({ code: CloseCode.NORMAL, local: true });

    const got = nextFrame(b);
    sb.send(new Uint8Array([42]));
    expect([...(await got)]).toEqual([42]);

    const bClosed = closed(b);
    s.server.dropConnections();
    expect(await bClosed).toMatchObject({ code: 1006, local: false });
    expect(aCloses).toBe(1);
    expect(() => b.send(new Uint8Array(1))).toThrow(expect.objectContaining({ code: 'TRANSPORT_CLOSED' }));
  });

  // The Transport rules themselves (close codes, FRAME_TOO_LARGE, the send-buffer bound, ...) are
  // tested on both ends by the compliance suite (compliance.test.ts); these are Socket.IO's own.
  it('takes the AgentServer’s maxFrameBytes plus the header as the server transport’s limit', async () => {
    const s = await start({ agent: { maxFrameBytes: 1024 } });
    s.agentServer.passThrough = false;
    const client = await s.connector()(new AbortController().signal);
    client.start();
    const { transport: server } = await s.agentServer.nth(1);
    expect(server.maxFrameBytes).toBe(1024 + 8);
    await client.close();
  });

  it('closes a peer that has stopped reading with 4429 once the backlog passes the limit', async () => {
    const limit = MiB;
    const s = await start({ server: { maxBufferedBytes: limit } });
    s.agentServer.passThrough = false;
    const raw = rawSocket(s.url);
    await whenConnected(raw);
    // Stop reading from the TCP socket, as a stalled consumer would (ws's pause(), reached at run time).
    const engineTransport: unknown = raw.io.engine.transport;
    const ws = typeof engineTransport === 'object' && engineTransport !== null && 'ws' in engineTransport ? engineTransport.ws : undefined;
    if (typeof ws !== 'object' || ws === null || !('pause' in ws) || typeof ws.pause !== 'function') throw new Error('no ws to pause');
    if (!('terminate' in ws) || typeof ws.terminate !== 'function') throw new Error('no ws to terminate');
    ws.pause();
    const { transport: server } = await s.agentServer.nth(1);
    const serverClosed = closed(server);
    server.start();
    const frame = new Uint8Array(64 * 1024);
    let sent = 0;
    let backlog = 0;
    let refused: unknown;
    // Paced sends: the network takes what the kernel buffers hold, then the backlog grows.
    while (server.open && sent < 64 * MiB) {
      backlog = server.bufferedAmount;
      try {
        server.send(frame);
        sent += frame.byteLength;
      } catch (error) {
        refused = error;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await serverClosed).toMatchObject({ code: CloseCode.SLOW_CONSUMER });
    expect(refused).toMatchObject({ code: 'TRANSPORT_CLOSED' });
    expect(backlog).toBeGreaterThan(limit);
    expect(backlog).toBeLessThanOrEqual(limit + frame.byteLength + PACKET_SLACK);
    expect(sent).toBeLessThan(64 * MiB);
    ws.terminate(); // a paused socket would sit out ws's 30 s close timeout
  });
});
