import { runTransportCompliance, type TransportFixture } from '@agentsocket/compliance';
import { AgentServer, type Connector, type Transport } from '@agentsocket/core';
import { WebSocket } from 'ws';
import { BrowserTransport } from '../src/browser-transport.js';
import { wsConnector as browserConnector } from '../src/client.browser.js';
import { SocketTransport, wsConnector, wsServer } from '../src/index.js';

/** Both ends' send-buffer bound: above the suite's 8 MiB payload, small enough for the rule 5 floods. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

/**
 * The ws server with a client `connect(url, token)`: the Node connector, or the browser one on
 * `ws`'s WebSocket class (the same WHATWG API a browser has; no Authorization header, so the token
 * goes in HELLO only).
 */
function wsFixture(name: string, connect: (url: string, token: string | undefined) => Connector): TransportFixture {
  return {
    name,
    limits: { maxBufferedBytes: MAX_BUFFERED_BYTES },
    async start(agent, options) {
      const server = new AgentServer(agent, options);
      const endpoint = await wsServer({ agentServer: server, port: 0, host: '127.0.0.1', maxBufferedBytes: MAX_BUFFERED_BYTES });
      const url = endpoint.url;
      if (url === undefined) throw new Error('ws endpoint is not listening');
      return {
        server,
        connector: (opts = {}) => connect(url, opts.token),
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
        stopReading(transport: Transport) {
          // Both are ws sockets here: stop reading from the TCP socket.
          if (transport instanceof SocketTransport) transport.socket.pause();
          else if (transport instanceof BrowserTransport && transport.socket instanceof WebSocket) transport.socket.pause();
          else return false;
          return true;
        },
        close: () => endpoint.close(),
      };
    },
  };
}

runTransportCompliance(
  wsFixture('ws', (url, token) => wsConnector({ url, maxBufferedBytes: MAX_BUFFERED_BYTES, ...(token === undefined ? {} : { token }) })),
);
runTransportCompliance(
  wsFixture('ws (browser client on the WHATWG WebSocket API)', (url) =>
    browserConnector({ url, maxBufferedBytes: MAX_BUFFERED_BYTES, WebSocket: WebSocket as unknown as NonNullable<Parameters<typeof browserConnector>[0]['WebSocket']> }),
  ),
);
