import { WebSocketServer } from 'ws';
import { type BenchServer, listenCounting } from './bench-server.js';

/**
 * The reference: a bare `ws` server that sends every binary message straight back. Same `ws`
 * version and settings as our transport (no permessage-deflate), nothing else.
 */
export async function startRawEchoServer(): Promise<BenchServer> {
  const { http, port, counters, close } = await listenCounting();
  const wss = new WebSocketServer({ server: http, path: '/echo', perMessageDeflate: false });
  wss.on('connection', (socket) => {
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  });
  return {
    url: `ws://127.0.0.1:${port}/echo`,
    counters,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      await close();
    },
  };
}
