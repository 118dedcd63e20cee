// The suite run against core's in-memory transport, the reference every other transport is held to.
import { runTransportCompliance, type TransportFixture } from '../src/index.js';
import { AgentServer, CloseCode, memoryConnector } from '@agentsocket/core';

const memory: TransportFixture = {
  name: 'memory',
  async start(agent, options) {
    const server = new AgentServer(agent, options);
    const connector = memoryConnector(server);
    return {
      server,
      connector: () => connector,
      async dropConnections() {
        await Promise.all([...connector.serverEnds].map((t) => t.close(CloseCode.GOING_AWAY, 'dropped by test')));
      },
      async close() {
        server.close();
      },
    };
  },
};

runTransportCompliance(memory);
