import { fileURLToPath } from 'node:url';
import { isRecord, serveAsChild, startChild } from './child.js';
import { collectGarbage } from './rounds.js';
import type { BenchServer } from './servers/counting.js';
import type { MemorySample, Running, Session } from './variant.js';

/** A server under test in a child process of its own, seen from the parent. */
export interface RemoteServer {
  readonly url: string;
  /** Bytes on the server's sockets so far (both directions), CPU time of the server process so far (µs), TCP connections open now. */
  counters(): Promise<{ bytes: number; cpuUs: number; connections: number }>;
  /** TCP connections the server holds now. */
  connections(): Promise<number>;
  memory(): Promise<MemorySample>;
  stop(): Promise<void>;
}

/** Server factories by the name a child entry is given. */
/** Server factories by the name a child entry is given; `args` are the child's arguments after the name. */
export type ServerFactories = Record<string, ((args: readonly string[]) => Promise<BenchServer>) | undefined>;

/**
 * A child-process entry of the importing module's kind: `entryOf(import.meta.url, './servers/child')`
 * is `servers/child.ts` when running from source (tsx) and `servers/child.js` when compiled.
 */
export function entryOf(base: string, relative: string): string {
  const ext = base.endsWith('.ts') ? '.ts' : '.js';
  return fileURLToPath(new URL(`${relative}${ext}`, base));
}

/** The kit's own child entry, which serves the kit's servers (see servers/child.ts). */
export const KIT_CHILD = entryOf(import.meta.url, './servers/child');

/** Starts `entry` (a module that calls serveServers) with one named server and its arguments. */
export async function startRemote(entry: string, name: string, args: readonly string[] = []): Promise<RemoteServer> {
  const child = await startChild(entry, [name, ...args]);
  const ready = child.ready;
  if (!isRecord(ready) || typeof ready['url'] !== 'string') {
    await child.stop();
    throw new Error(`server "${name}" reported no url`);
  }
  const counters = async () => {
    const c = await child.request('counters');
    if (
      !isRecord(c) ||
      typeof c['bytesRead'] !== 'number' ||
      typeof c['bytesWritten'] !== 'number' ||
      typeof c['cpuUs'] !== 'number' ||
      typeof c['connections'] !== 'number'
    ) {
      throw new Error(`server "${name}" sent bad counters`);
    }
    return { bytes: c['bytesRead'] + c['bytesWritten'], cpuUs: c['cpuUs'], connections: c['connections'] };
  };
  return {
    url: ready['url'],
    counters,
    connections: async () => (await counters()).connections,
    memory: async () => {
      const m = await child.request('memory');
      if (!isRecord(m) || typeof m['rss'] !== 'number' || typeof m['heapUsed'] !== 'number' || typeof m['external'] !== 'number') {
        throw new Error(`server "${name}" sent a bad memory sample`);
      }
      return { rss: m['rss'], heapUsed: m['heapUsed'], external: m['external'] };
    },
    stop: () => child.stop(),
  };
}

/** A variant's `start` whose server runs in a child process; `connect` opens a client to its URL. */
export function remote(entry: string, name: string, connect: (url: string) => Promise<Session>): () => Promise<Running> {
  return async () => {
    const server = await startRemote(entry, name);
    return {
      connect: () => connect(server.url),
      counters: () => server.counters(),
      memory: () => server.memory(),
      stop: () => server.stop(),
    };
  };
}

/** The child side: runs the server named by argv[2] (given argv[3..]) until the parent says stop, answering counters and memory. */
export async function serveServers(factories: ServerFactories): Promise<void> {
  const name = process.argv[2] ?? '';
  await serveAsChild(async () => {
    const start = factories[name];
    if (!start) throw new Error(`unknown server "${name}" (known: ${Object.keys(factories).join(', ')})`);
    const server = await start(process.argv.slice(3));
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
}
