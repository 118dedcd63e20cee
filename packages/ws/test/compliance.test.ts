import { runTransportCompliance, type TransportFixture } from '@agentsocket/compliance';
import { AgentServer } from '@agentsocket/core';
import { wsConnector, wsServer } from '../src/index.js';

const ws: TransportFixture = {
  name: 'ws',
  async start(agent, options) {
    const server = new AgentServer(agent, options);
    const endpoint = await wsServer({ agentServer: server, port: 0, host: '127.0.0.1' });
    const url = endpoint.url;
    if (url === undefined) throw new Error('ws endpoint is not listening');
    return {
      server,
      connector: (opts = {}) => wsConnector({ url, ...(opts.token === undefined ? {} : { token: opts.token }) }),
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
      close: () => endpoint.close(),
    };
  },
};

runTransportCompliance(ws);
