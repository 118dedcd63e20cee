import { Packr } from 'msgpackr';
import { WebSocketServer } from 'ws';
import { type BenchServer, countingServer } from './counting.js';

/**
 * The hand-written reference: what an application writes without Agent Socket to call a tool over
 * `ws` with msgpackr. A request is `[id, tool, args]`, its answer `[id, result]`, both one binary
 * message; every tool returns its arguments. No sessions, no acks, no replay, no validation.
 */
export async function msgpackRpcServer(): Promise<BenchServer> {
  const c = await countingServer();
  const packr = new Packr({ useRecords: false });
  const wss = new WebSocketServer({ server: c.http, path: '/rpc', perMessageDeflate: false });
  wss.on('connection', (socket) => {
    socket.on('message', (data, isBinary) => {
      if (!isBinary || !Buffer.isBuffer(data)) return;
      const request: unknown = packr.unpack(data);
      if (!Array.isArray(request) || typeof request[0] !== 'number') return;
      socket.send(packr.pack([request[0], request[2]]), { binary: true });
    });
  });
  return {
    url: `ws://127.0.0.1:${c.port}/rpc`,
    counters: c.counters,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      await c.close();
    },
  };
}
