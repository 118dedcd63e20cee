import type { Socket as TcpSocket } from 'node:net';
import { ErrorCode } from '@agentsocket/core';
import { encodeFrame, FrameType } from '@agentsocket/core/transport';
import { io, type Socket as ClientSocket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { CLOSE_EVENT, FRAME_EVENT } from '../src/index.js';
import { setup } from './helpers.js';

const start = setup();
const authenticate = (token: string | undefined) => (token === 'good' ? { id: 'alice' } : undefined);
const sockets: ClientSocket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});

function raw(url: string, auth: Record<string, string> = {}): ClientSocket {
  const socket = io(url, { auth, transports: ['websocket'], reconnection: false, forceNew: true });
  sockets.push(socket);
  return socket;
}

function joined(socket: ClientSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
}

function disconnected(socket: ClientSocket): Promise<string> {
  return new Promise((resolve) => socket.once('disconnect', (reason) => resolve(reason)));
}

describe('Socket.IO before the handshake (protocol.md §21, docs/transports/socketio.md)', () => {
  it('refuses the default namespace / with 403', async () => {
    const s = await start({ agent: { authenticate } });
    const socket = raw(`${s.url}/`);
    const error = await new Promise<Error & { data?: unknown }>((resolve) => socket.once('connect_error', resolve));
    expect(error.data).toEqual({ code: ErrorCode.FORBIDDEN });
  });

  it('closes a connection that announces more than one binary attachment, or sends a text packet over 64 KiB', async () => {
    const s = await start({ agent: { authenticate } });
    const bystander = await s.client({}, { token: 'good' });
    const attachments = raw(`${s.url}/asp`);
    await joined(attachments);
    const cut = disconnected(attachments);
    attachments.emit(FRAME_EVENT, new Uint8Array(8), new Uint8Array(8));
    expect(await cut).toBe('transport close');
    const text = raw(`${s.url}/asp`);
    await joined(text);
    const cutText = disconnected(text);
    text.emit('x', 'y'.repeat(65 * 1024));
    expect(await cutText).toBe('transport close');
    expect((await bystander.invoke('echo', { ok: 1 }).result).value).toEqual({ ok: 1 });
  });

  it('cuts a connection that sends more than 2 × maxHelloBytes + 64 KiB before its HELLO, before reading it all', async () => {
    const s = await start({ agent: { authenticate, maxHelloBytes: 16 * 1024 } });
    const tcp: TcpSocket[] = [];
    s.server.io.engine.on('connection', (conn: { request: { socket: TcpSocket } }) => tcp.push(conn.request.socket));
    const socket = raw(`${s.url}/asp`);
    await joined(socket);
    let closeEvent = false;
    socket.on(CLOSE_EVENT, () => {
      closeEvent = true;
    });
    const cut = disconnected(socket);
    socket.emit(FRAME_EVENT, encodeFrame(FrameType.HELLO, 0, 0, new Uint8Array(4 * 1024 * 1024).fill(0x5b)));
    expect(await cut).toBe('transport close');
    expect(closeEvent).toBe(false); // cut by the byte count, not answered by core
    const read = tcp[0]?.bytesRead ?? Number.POSITIVE_INFINITY;
    expect(read).toBeLessThan(2 * 16 * 1024 + 64 * 1024 + 256 * 1024);
    // A HELLO within the limit is unaffected.
    const client = await s.client({}, { token: 'good' });
    expect((await client.invoke('whoami').result).value).toEqual({ id: 'alice' });
  });

  it('keeps no namespace made for a client that was refused', async () => {
    const s = await start({ agent: { authenticate }, server: { namespace: /^\/team-\w+$/ } });
    const namespaces = () => (Reflect.get(s.server.io, '_nsps') as Map<string, unknown>).size;
    const before = namespaces();
    for (let i = 0; i < 50; i++) {
      const socket = raw(`${s.url}/team-${i}`, { token: 'bad' });
      await expect(joined(socket)).rejects.toMatchObject({ data: { code: ErrorCode.UNAUTHORIZED } });
      socket.close();
    }
    const client = await s.client({}, { token: 'good', namespace: '/team-ok' });
    expect((await client.invoke('whoami').result).value).toEqual({ id: 'alice' });
    expect(namespaces()).toBe(before + 1);
    await client.close();
    await expect.poll(namespaces).toBe(before);
  });
});
