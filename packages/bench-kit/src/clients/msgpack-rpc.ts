import { Packr } from 'msgpackr';
import { WebSocket } from 'ws';
import { checkReply } from '../profiles.js';
import type { Session } from '../variant.js';
import { closeSocket } from './raw-ws.js';

/**
 * The hand-written reference's client (see servers/msgpack-rpc.ts): `[id, tool, args]` out,
 * `[id, result]` back, a map from id to the waiting call. The same object as ours, the same check.
 */
export async function msgpackRpcSession(url: string): Promise<Session> {
  const packr = new Packr({ useRecords: false });
  const socket = new WebSocket(url, { perMessageDeflate: false });
  socket.binaryType = 'nodebuffer';
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  socket.on('message', (data, isBinary) => {
    if (!isBinary || !Buffer.isBuffer(data)) return;
    const reply: unknown = packr.unpack(data);
    if (!Array.isArray(reply) || typeof reply[0] !== 'number') return;
    const w = waiting.get(reply[0]);
    waiting.delete(reply[0]);
    w?.resolve(reply[1]);
  });
  socket.on('close', () => {
    for (const w of waiting.values()) w.reject(new Error('rpc socket closed'));
    waiting.clear();
  });
  return {
    call: (profile) =>
      new Promise<unknown>((resolve, reject) => {
        const id = nextId++;
        waiting.set(id, { resolve, reject });
        socket.send(packr.pack([id, profile.tool, profile.args]), { binary: true });
      }).then((value) => checkReply(profile, value)),
    close: () => closeSocket(socket),
  };
}
