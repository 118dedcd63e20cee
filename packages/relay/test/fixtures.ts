import type { Agent, AgentServerOptions } from '@agentsocket/core';
import type { ServerHandle, TransportFixture } from '@agentsocket/compliance';
import { functionHandler } from '@agentsocket/function';
import { serveFunction } from '@agentsocket/function/node';
import { socketIoConnector } from '@agentsocket/socketio';
import { socketIoServer } from '@agentsocket/socketio/server';
import { SocketTransport, wsConnector, wsServer } from '@agentsocket/ws';
import { Relay, type RelayOptions } from '../src/index.js';

export const SECRET = 'relay-test-secret';

/** Both ends' send-buffer bound in the compliance fixtures: above the suite's 8 MiB payload, small enough for its rule 5 floods. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

/** The agent served as a function on node:http, a relay in front of it, and ws in front of the relay. */
export async function startRelayOverWs(
  agent: Agent,
  options?: AgentServerOptions,
  extra: Partial<RelayOptions['function']> = {},
): Promise<ServerHandle & { relay: Relay; functionUrl: string }> {
  const fn = await serveFunction(functionHandler(agent, { secret: SECRET }));
  const relay = await Relay.start({ function: { url: fn.url, secret: SECRET, ...extra }, ...(options ? { server: options } : {}) });
  const endpoint = await wsServer({ agentServer: relay.server, port: 0, host: '127.0.0.1', maxBufferedBytes: MAX_BUFFERED_BYTES });
  const url = endpoint.url;
  if (url === undefined) throw new Error('ws endpoint is not listening');
  return {
    server: relay.server,
    relay,
    functionUrl: fn.url,
    connector: (opts = {}) => wsConnector({ url, maxBufferedBytes: MAX_BUFFERED_BYTES, ...(opts.token === undefined ? {} : { token: opts.token }) }),
    async dropConnections() {
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
      if (!(transport instanceof SocketTransport)) return false;
      transport.socket.pause(); // stop reading from the TCP socket
      return true;
    },
    async close() {
      relay.server.close();
      await endpoint.close();
      await relay.close();
      await fn.close();
    },
  };
}

export const relayWsFixture: TransportFixture = {
  name: 'relay (ws client → relay → function on node:http)',
  limits: { handlerSeesInterruptLater: true, maxBufferedBytes: MAX_BUFFERED_BYTES },
  start: (agent, options) => startRelayOverWs(agent, options),
};

export const relaySocketIoFixture: TransportFixture = {
  name: 'relay (Socket.IO client → relay → function on node:http)',
  limits: { handlerSeesInterruptLater: true, maxBufferedBytes: MAX_BUFFERED_BYTES },
  async start(agent, options) {
    const fn = await serveFunction(functionHandler(agent, { secret: SECRET }));
    const relay = await Relay.start({ function: { url: fn.url, secret: SECRET }, ...(options ? { server: options } : {}) });
    const sio = await socketIoServer({ agentServer: relay.server, port: 0, host: '127.0.0.1', transports: ['websocket'], maxBufferedBytes: MAX_BUFFERED_BYTES });
    const url = `http://127.0.0.1:${sio.port ?? 0}`;
    return {
      server: relay.server,
      connector: (opts = {}) => socketIoConnector({ url, transports: ['websocket'], maxBufferedBytes: MAX_BUFFERED_BYTES, ...(opts.token === undefined ? {} : { token: opts.token }) }),
      dropConnections: async () => sio.dropConnections(),
      async close() {
        relay.server.close();
        await sio.close();
        await relay.close();
        await fn.close();
      },
    };
  },
};
