/** Child process entry: runs one bench server until the parent says stop. argv[2] names it. */
import { serveAsChild } from './lib/child.js';
import { servers } from './servers/index.js';

const name = process.argv[2] ?? '';
await serveAsChild(async () => {
  const start = servers[name];
  if (!start) throw new Error(`unknown server "${name}" (known: ${Object.keys(servers).join(', ')})`);
  const server = await start();
  return { ready: { url: server.url }, handlers: { counters: () => server.counters() }, stop: () => server.close() };
});
