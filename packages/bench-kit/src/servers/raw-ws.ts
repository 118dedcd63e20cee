import { WebSocketServer } from 'ws';
import { type BenchServer, countingServer } from './counting.js';

/**
 * The floor: a bare `ws` server that sends every binary message straight back. Same `ws`
 * version and settings as our transport (no permessage-deflate), nothing else.
 */
export async function rawWsServer(): Promise<BenchServer> {
  const c = await countingServer();
  const wss = new WebSocketServer({ server: c.http, path: '/echo', perMessageDeflate: false });
  wss.on('connection', (socket) => {
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  });
  return {
    url: `ws://127.0.0.1:${c.port}/echo`,
    counters: c.counters,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      await c.close();
    },
  };
}
