/**
 * What a server child process needs, and nothing else (`@agentsocket/bench-kit/servers`): child
 * entries import this instead of the kit's root, so a child loads only its own server's libraries.
 */
import type { ServerFactories } from '../remote.js';

export { benchAgent } from '../agent.js';
export { type ServerFactories, serveServers } from '../remote.js';
export { type BenchServer, type CountingServer, countingServer, type ServerCounters } from './counting.js';

/**
 * The kit's servers by name: ours over ws, and the references. Imported on demand, so a child
 * loads only its own server's libraries (a faster start, a smaller baseline).
 */
export const kitServers: ServerFactories = {
  'agent-ws': async () => (await import('./agent-ws.js')).agentWsServer(),
  'raw-ws': async () => (await import('./raw-ws.js')).rawWsServer(),
  'msgpack-rpc': async () => (await import('./msgpack-rpc.js')).msgpackRpcServer(),
  'plain-socketio': async () => (await import('./plain-socketio.js')).plainSocketIoServer(),
  'bare-mcp-http': async () => (await import('./bare-mcp.js')).bareMcpHttpServer(),
};
