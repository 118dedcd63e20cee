import { type CallProfile, checkCount, checkReply, STREAM_TOOL, type Session } from '@agentsocket/bench-kit';
import WebSocket from 'ws';

/**
 * A client of the Pushpin baseline (servers/pushpin.ts): JSON text messages over a plain
 * WebSocket, answers matched by id, since Pushpin's backend answers a batch of calls at once.
 */
export async function pushpinSession(url: string): Promise<Session> {
  const socket = new WebSocket(url, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  let next = 0;
  const waiting = new Map<number, { chunk?: () => void; chunks: number; resolve: (r: { result: unknown; chunks: number }) => void; reject: (e: Error) => void }>();
  socket.on('message', (data) => {
    const m = JSON.parse(String(data)) as { i: number; c?: unknown; r?: unknown; e?: string };
    const w = waiting.get(m.i);
    if (!w) return;
    if ('c' in m) {
      w.chunks++;
      w.chunk?.();
    } else {
      waiting.delete(m.i);
      if (m.e !== undefined) w.reject(new Error(m.e));
      else w.resolve({ result: m.r, chunks: w.chunks });
    }
  });
  let closed: Error | undefined;
  socket.on('close', (code: number, reason: Buffer) => {
    closed = new Error(`pushpin socket closed (code ${code}${reason.length > 0 ? `, ${reason.toString()}` : ''}) with ${waiting.size} call(s) waiting`);
    for (const w of waiting.values()) w.reject(closed);
    waiting.clear();
  });
  const send = (tool: string, args: unknown, chunk?: () => void) =>
    new Promise<{ result: unknown; chunks: number }>((resolve, reject) => {
      // A call after the close fails at once (ws drops a send on a closed socket without a word).
      if (closed || socket.readyState !== WebSocket.OPEN) {
        reject(closed ?? new Error('pushpin socket is not open'));
        return;
      }
      const i = next++;
      waiting.set(i, { chunks: 0, resolve, reject, ...(chunk ? { chunk } : {}) });
      socket.send(JSON.stringify({ i, t: tool, a: args }));
    });
  return {
    call: async (profile: CallProfile) => checkReply(profile, (await send(profile.tool, profile.args)).result),
    stream: async (count, each) => {
      const r = await send(STREAM_TOOL, { count }, each);
      checkCount(STREAM_TOOL, r.chunks, count);
      return r.chunks;
    },
    close: async () => {
      socket.close();
    },
  };
}
