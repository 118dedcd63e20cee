import { createServer } from 'node:http';
import { type Agent, AgentServer, type AgentServerOptions, type Transport } from '@agentsocket/core';
import { runTransportCompliance, type ServerHandle, type TransportFixture } from '@agentsocket/compliance';
import { Server } from 'socket.io';
import { type SocketIoConnectorInit, socketIoConnector } from '../src/index.js';
import { ServerSocketTransport, socketIoHub, socketIoServer } from '../src/index.server.js';

/** Both ends' send-buffer bound: above the suite's 8 MiB payload, small enough for the rule 5 floods. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
const limits = { maxBufferedBytes: MAX_BUFFERED_BYTES };

/**
 * Stops Engine.IO reading for the server's end of a WebSocket connection (its ws socket paused).
 * socket.io-client keeps its socket to itself, and long-polling has none: false for those.
 * `release()` destroys the paused sockets, which would otherwise sit out ws's close timeout.
 */
function readingStopper(): { stopReading(transport: Transport): boolean; release(): void } {
  const paused: Array<{ terminate(): void }> = [];
  return {
    stopReading(transport) {
      if (!(transport instanceof ServerSocketTransport)) return false;
      const ws: unknown = Reflect.get(transport.socket.conn.transport, 'socket');
      if (typeof ws !== 'object' || ws === null || !('pause' in ws) || typeof ws.pause !== 'function') return false;
      if (!('terminate' in ws) || typeof ws.terminate !== 'function') return false;
      ws.pause();
      paused.push({ terminate: () => Reflect.apply(ws.terminate as () => void, ws, []) });
      return true;
    },
    release() {
      for (const ws of paused.splice(0)) ws.terminate();
    },
  };
}

/** A fixture on a fresh Socket.IO server per test; `transports` picks WebSocket or long-polling. */
function socketIoFixture(name: string, transports: NonNullable<SocketIoConnectorInit['transports']>): TransportFixture {
  return {
    name,
    limits,
    async start(agent: Agent, options?: AgentServerOptions): Promise<ServerHandle> {
      const server = new AgentServer(agent, options);
      const sio = await socketIoServer({ agentServer: server, port: 0, host: '127.0.0.1', transports: ['polling', 'websocket'], maxBufferedBytes: MAX_BUFFERED_BYTES });
      const url = `http://127.0.0.1:${sio.port ?? 0}`;
      const { stopReading, release } = readingStopper();
      return {
        server,
        connector: (opts = {}) => socketIoConnector({ url, transports, maxBufferedBytes: MAX_BUFFERED_BYTES, ...(opts.token === undefined ? {} : { token: opts.token }) }),
        // Closes each Engine.IO connection without a Socket.IO goodbye: both ends see a dead link (1006).
        dropConnections: async () => sio.dropConnections(),
        stopReading,
        close: async () => {
          release();
          server.close();
          await sio.close();
        },
      };
    },
  };
}

/**
 * Teams mapped onto Socket.IO: each team namespace is the Socket.IO namespace of that name and
 * the AgentServer's hub is socketIoHub, so rooms are Socket.IO rooms. Clients that name no team
 * connect to '/asp' (the main namespace '/' is Socket.IO's own, outside the RegExp parent).
 */
const teamsFixture: TransportFixture = {
  name: 'socket.io (teams on Socket.IO namespaces and rooms)',
  limits,
  async start(agent: Agent, options?: AgentServerOptions): Promise<ServerHandle> {
    const http = createServer();
    const io = new Server(http, { transports: ['websocket'], maxHttpBufferSize: 17 * 1024 * 1024, serveClient: false });
    const hub = socketIoHub(io);
    const server = new AgentServer(agent, { ...options, teams: { ...options?.teams, hub } });
    const sio = await socketIoServer({ agentServer: server, io, namespace: /^\/[\w.-]+$/, teamNamespaces: true, maxBufferedBytes: MAX_BUFFERED_BYTES });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const address = http.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const url = `http://127.0.0.1:${port}`;
    const { stopReading, release } = readingStopper();
    return {
      server,
      connector: (opts = {}) =>
        socketIoConnector({ url, namespace: opts.namespace ?? '/asp', maxBufferedBytes: MAX_BUFFERED_BYTES, ...(opts.token === undefined ? {} : { token: opts.token }) }),
      dropConnections: async () => sio.dropConnections(),
      stopReading,
      close: async () => {
        release();
        server.close();
        await sio.close();
        await hub.close();
        await io.close();
      },
    };
  },
};

runTransportCompliance(socketIoFixture('socket.io', ['websocket']));
runTransportCompliance(socketIoFixture('socket.io (long-polling)', ['polling']));
runTransportCompliance(teamsFixture);
