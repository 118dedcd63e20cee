// test/compliance.test.ts of the example package in docs/writing-a-transport.md §5, exactly as
// printed there but for the import path of the package's source.
import { runTransportCompliance } from '@agentsocket/compliance';
import { AgentServer, CloseCode, type Transport } from '@agentsocket/core';
import { pipeConnector } from './guide-pipe/index.js';

/** Both ends' backlog bound, small so that the rule 5 floods stay light. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

runTransportCompliance({
  name: 'pipe',
  limits: { maxBufferedBytes: MAX_BUFFERED_BYTES },
  async start(agent, options) {
    const server = new AgentServer(agent, options);
    const serverEnds = new Set<Transport>();
    const connector = pipeConnector(server, serverEnds, MAX_BUFFERED_BYTES);
    return {
      server,
      connector: () => connector,
      async dropConnections() {
        // From the server side, as a failed network would look to the client.
        await Promise.all([...serverEnds].map((t) => t.close(CloseCode.GOING_AWAY, 'dropped')));
        serverEnds.clear();
      },
      async close() {
        server.close();
      },
    };
  },
});
