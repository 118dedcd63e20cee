/** Child process entry: runs one server under test (named by argv[2]) until the parent says stop. */
import { kitServers, serveServers } from '@agentsocket/bench-kit/servers';

/**
 * The kit's servers (ours over ws, the references) and the ones only the comparison runs.
 * Imported on demand, so a child loads only its own server's libraries.
 */
await serveServers({
  ...kitServers,
  'agent-socketio': async () => (await import('./agent-socketio.js')).agentSocketIoServer(),
  'agent-mcp-http': async () => (await import('./agent-mcp-http.js')).agentMcpHttpServer(),
  'agent-relay': async () => (await import('./agent-relay.js')).agentRelayServer(),
  pushpin: async () => (await import('./pushpin.js')).pushpinServer(),
});
