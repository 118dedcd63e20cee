import { WebSocket } from 'ws';
import type { CallProfile } from '../profiles.js';
import type { Session } from '../variant.js';

/**
 * The floor: a bare `ws` client that sends a prebuilt binary message and waits for it to come
 * back. For each profile the message is `sizeOf(profile)` bytes (our INVOKE frame's size for it).
 * Answers arrive in order, so a FIFO of waiters pairs them with their requests.
 */
export async function rawWsSession(url: string, sizeOf: (profile: CallProfile) => number): Promise<Session> {
  const messages = new Map<CallProfile, Buffer>();
  const socket = new WebSocket(url, { perMessageDeflate: false });
  socket.binaryType = 'nodebuffer';
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  // At most `concurrency` entries; shift() on an array this small is cheap.
  const waiting: Array<{ size: number; resolve: () => void; reject: (e: Error) => void }> = [];
  socket.on('message', (data, isBinary) => {
    const w = waiting.shift();
    if (!w) return;
    const length = Array.isArray(data) ? data.reduce((n, b) => n + b.byteLength, 0) : data.byteLength;
    if (!isBinary || length !== w.size) w.reject(new Error(`echo came back as ${length} bytes (binary: ${isBinary}), sent ${w.size}`));
    else w.resolve();
  });
  socket.on('close', () => {
    for (const w of waiting.splice(0)) w.reject(new Error('raw echo socket closed'));
  });
  const messageFor = (profile: CallProfile): Buffer => {
    let m = messages.get(profile);
    if (!m) {
      m = Buffer.alloc(sizeOf(profile), 0x61);
      messages.set(profile, m);
    }
    return m;
  };
  return {
    call: (profile) => {
      const message = messageFor(profile);
      return new Promise<void>((resolve, reject) => {
        waiting.push({ size: message.byteLength, resolve, reject });
        socket.send(message, { binary: true });
      });
    },
    close: () => closeSocket(socket),
  };
}

export async function closeSocket(socket: WebSocket): Promise<void> {
  if (socket.readyState === WebSocket.CLOSED) return;
  await new Promise<void>((resolve) => {
    socket.once('close', () => resolve());
    socket.close();
  });
}
