import { io } from 'socket.io-client';
import { checkCount, checkReply } from '../profiles.js';
import type { Session } from '../variant.js';
import { ANSWER, ANSWER_TOOL, ASK_TOOL, readAskResult, STREAM_TOOL } from '../workload.js';

/** The reference client: plain socket.io-client, WebSocket only, one Manager per session. */
export async function plainSocketIoSession(url: string): Promise<Session> {
  const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  let onChunk: (() => void) | undefined;
  let chunks = 0;
  socket.on('chunk', () => {
    chunks++;
    onChunk?.();
  });
  socket.on(ANSWER_TOOL, (_question: unknown, ack: unknown) => {
    if (typeof ack === 'function') ack(ANSWER);
  });
  // Events before an ack arrive before it, so counting until the ack counts the whole stream.
  const counted = async (send: () => Promise<unknown>, each?: () => void): Promise<{ reply: unknown; chunks: number }> => {
    chunks = 0;
    onChunk = each;
    try {
      const reply = await send();
      return { reply, chunks };
    } finally {
      onChunk = undefined;
    }
  };
  return {
    call: async (profile) => checkReply(profile, await socket.emitWithAck(profile.tool, profile.args)),
    stream: async (count, each) => {
      const r = await counted(() => socket.emitWithAck(STREAM_TOOL, { count }), each);
      checkCount(STREAM_TOOL, r.chunks, count);
      return r.chunks;
    },
    ask: async () => {
      const r = await counted(() => socket.emitWithAck(ASK_TOOL, {}));
      const { askMs } = readAskResult(r.reply);
      checkCount(ASK_TOOL, r.chunks, 2);
      return askMs;
    },
    close: async () => {
      socket.disconnect();
    },
  };
}
