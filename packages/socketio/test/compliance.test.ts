import { type Agent, AgentServer, type AgentServerOptions } from '@agentsocket/core';
import { runTransportCompliance, type ServerHandle, type TransportFixture } from '@agentsocket/compliance';
import { type SocketIoConnectorInit, socketIoConnector, socketIoServer } from '../src/index.js';

/** A fixture on a fresh Socket.IO server per test; `transports` picks WebSocket or long-polling. */
function socketIoFixture(name: string, transports: NonNullable<SocketIoConnectorInit['transports']>): TransportFixture {
  return {
    name,
    async start(agent: Agent, options?: AgentServerOptions): Promise<ServerHandle> {
      const server = new AgentServer(agent, options);
      const sio = await socketIoServer({ agentServer: server, port: 0, host: '127.0.0.1', transports: ['polling', 'websocket'] });
      const url = `http://127.0.0.1:${sio.port ?? 0}`;
      return {
        server,
        connector: (opts = {}) => socketIoConnector({ url, transports, ...(opts.token === undefined ? {} : { token: opts.token }) }),
        // Closes each Engine.IO connection without a Socket.IO goodbye: both ends see a dead link (1006).
        dropConnections: async () => sio.dropConnections(),
        close: async () => {
          server.close();
          await sio.close();
        },
      };
    },
  };
}

runTransportCompliance(socketIoFixture('socket.io', ['websocket']));
runTransportCompliance(socketIoFixture('socket.io (long-polling)', ['polling']));
