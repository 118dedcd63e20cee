import { runTransportCompliance, type TransportFixture } from '@agentsocket/compliance';
import { AgentServer } from '@agentsocket/core';
import { SocketTransport, wsConnector, wsServer } from '../src/index.js';

/** Both ends' send-buffer bound: above the suite's 8 MiB payload, small enough for the rule 5 floods. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

const ws: TransportFixture = {
  name: 'ws',
  limits: { maxBufferedBytes: MAX_BUFFERED_BYTES },
  async start(agent, options) {
    const server = new AgentServer(agent, options);
    const endpoint = await wsServer({ agentServer: server, port: 0, host: '127.0.0.1', maxBufferedBytes: MAX_BUFFERED_BYTES });
    const url = endpoint.url;
    if (url === undefined) throw new Error('ws endpoint is not listening');
    return {
      server,
      connector: (opts = {}) => wsConnector({ url, maxBufferedBytes: MAX_BUFFERED_BYTES, ...(opts.token === undefined ? {} : { token: opts.token }) }),
      async dropConnections() {
        // Abrupt, as a network failure: no close frame, the peer sees 1006.
        const sockets = [...endpoint.sockets].filter((socket) => socket.readyState !== socket.CLOSED);
        await Promise.all(
          sockets.map(
            (socket) =>
              new Promise<void>((resolve) => {
                socket.once('close', () => resolve());
                socket.terminate();
              }),
          ),
        );
      },
      stopReading(transport) {
        if (!(transport instanceof SocketTransport)) throw new Error('not a ws transport');
        transport.socket.pause(); // stop reading from the TCP socket
      },
      close: () => endpoint.close(),
    };
  },
};

runTransportCompliance(ws);
