// The suite run against core's in-memory transport, the reference every other transport is held to.
import { runTransportCompliance, type TransportFixture } from '../src/index.js';
import { AgentServer, CloseCode, memoryConnector } from '@agentsocket/core';

const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

const memory: TransportFixture = {
  name: 'memory',
  limits: { maxBufferedBytes: MAX_BUFFERED_BYTES },
  async start(agent, options) {
    const server = new AgentServer(agent, options);
    // Headroom over core's frame limit, so core (not the transport) answers an over-limit frame with
    // ERROR 413; and a small send buffer, so the rule 5 tests stay light.
    const connector = memoryConnector(server, { maxFrameBytes: 2 * server.maxFrameBytes + 64 * 1024, maxBufferedBytes: MAX_BUFFERED_BYTES });
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
