import { Server, type Socket } from 'socket.io';
import { CALL_TOOL, ECHO_TOOL, STREAM_PROFILE } from '../profiles.js';
import { ANSWER_TOOL, ASK_TOOL, QUESTION, STREAM_TOOL } from '../workload.js';
import { type BenchServer, countingServer } from './counting.js';

/**
 * The reference: plain Socket.IO, the way an app uses it without Agent Socket. `emitWithAck`
 * round trips with JSON-encoded arguments (both call tools return their arguments), tokens as events, a question as a server→client ack.
 * WebSocket only, as our Socket.IO transport defaults to.
 */
export async function plainSocketIoServer(): Promise<BenchServer> {
  const c = await countingServer();
  const io = new Server(c.http, { transports: ['websocket'], serveClient: false });
  io.on('connection', (socket) => {
    const echo = (args: unknown, ack: unknown) => {
      if (typeof ack === 'function') ack(args);
    };
    socket.on(ECHO_TOOL, echo);
    socket.on(CALL_TOOL, echo);
    socket.on(STREAM_TOOL, (args: unknown, ack: unknown) => {
      const count = typeof args === 'object' && args !== null && 'count' in args && typeof args.count === 'number' ? args.count : 0;
      for (let i = 0; i < count; i++) socket.emit('chunk', STREAM_PROFILE.token);
      if (typeof ack === 'function') ack(count);
    });
    socket.on(ASK_TOOL, (_args: unknown, ack: unknown) => {
      if (typeof ack === 'function') void ask(socket).then((result) => ack(result));
    });
  });
  return {
    url: `http://127.0.0.1:${c.port}/`,
    counters: c.counters,
    close: async () => {
      await io.close();
      await c.close();
    },
  };
}

/** Sends a chunk, asks the client over an ack, sends the answer as a chunk; reports the ask's round trip. */
async function ask(socket: Socket): Promise<{ answer: unknown; askMs: number } | { error: string }> {
  socket.emit('chunk', 'thinking');
  const started = performance.now();
  try {
    const answer: unknown = await socket.timeout(10_000).emitWithAck(ANSWER_TOOL, { question: QUESTION });
    const askMs = performance.now() - started;
    socket.emit('chunk', String(answer));
    return { answer, askMs };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}
