import { WebSocket } from 'ws';
import type { EchoClient } from './echo-client.js';

/**
 * A bare `ws` client: sends a prebuilt binary message and waits for it to come back. Answers
 * arrive in order, so a FIFO of waiters pairs them with their requests (32 in flight works too).
 */
export async function rawEchoClient(url: string, size: number): Promise<EchoClient> {
  const message = Buffer.alloc(size, 0x61);
  const socket = new WebSocket(url, { perMessageDeflate: false });
  socket.binaryType = 'nodebuffer';
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  // At most `concurrency` entries; shift() on an array this small is cheap.
  const waiting: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  socket.on('message', (data, isBinary) => {
    const w = waiting.shift();
    if (!w) return;
    const length = Array.isArray(data) ? data.reduce((n, b) => n + b.byteLength, 0) : data.byteLength;
    if (!isBinary || length !== size) w.reject(new Error(`echo came back as ${length} bytes (binary: ${isBinary}), sent ${size}`));
    else w.resolve();
  });
  socket.on('close', () => {
    for (const w of waiting.splice(0)) w.reject(new Error('raw echo socket closed'));
  });
  return {
    call: () =>
      new Promise<void>((resolve, reject) => {
        waiting.push({ resolve, reject });
        socket.send(message, { binary: true });
      }),
    close: async () => {
      if (socket.readyState === WebSocket.CLOSED) return;
      await new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        socket.close();
      });
    },
  };
}
