/** Child process entry: runs one server under test until the parent says stop. argv[2] names it. */
import { collectGarbage, serveAsChild } from '@agentsocket/bench/lib';
import type { BenchServer } from '@agentsocket/bench/servers';

/**
 * Every server the parent can start, by the name it passes. Imported on demand, so a child
 * loads only its own server's libraries (a faster start, a smaller baseline).
 */
const factories: Record<string, (() => Promise<BenchServer>) | undefined> = {
  'agent-ws': async () => (await import('./agent-ws.js')).agentWsServer(),
  'agent-socketio': async () => (await import('./agent-socketio.js')).agentSocketIoServer(),
  'agent-mcp-http': async () => (await import('./agent-mcp-http.js')).agentMcpHttpServer(),
  'agent-relay': async () => (await import('./agent-relay.js')).agentRelayServer(),
  // apps/bench's raw ws echo, unchanged.
  'raw-ws': async () => {
    const raw = (await import('@agentsocket/bench/servers')).servers['raw'];
    if (!raw) throw new Error('apps/bench has no raw echo server');
    return raw();
  },
  'plain-socketio': async () => (await import('./plain-socketio.js')).plainSocketIoServer(),
  'bare-mcp-http': async () => (await import('./bare-mcp.js')).bareMcpHttpServer(),
};

const name = process.argv[2] ?? '';
await serveAsChild(async () => {
  const start = factories[name];
  if (!start) throw new Error(`unknown server "${name}" (known: ${Object.keys(factories).join(', ')})`);
  const server = await start();
  return {
    ready: { url: server.url },
    handlers: {
      counters: () => server.counters(),
      memory: () => {
        // Twice: the first pass may leave objects only a second one frees (weak refs, finalizers).
        collectGarbage();
        collectGarbage();
        const m = process.memoryUsage();
        return { rss: m.rss, heapUsed: m.heapUsed, external: m.external };
      },
    },
    stop: () => server.close(),
  };
});
