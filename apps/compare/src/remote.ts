import { fileURLToPath } from 'node:url';
import { isRecord, startChild } from '@agentsocket/bench/lib';
import type { MemorySample } from './variant.js';

/** A server under test in a child process of its own, seen from the parent. */
export interface RemoteServer {
  readonly url: string;
  /** Bytes on the server's sockets so far, both directions. */
  bytes(): Promise<number>;
  memory(): Promise<MemorySample>;
  stop(): Promise<void>;
}

/** Runs from source (tsx) or from compiled output: child entries share this module's extension. */
export function entry(relative: string): string {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return fileURLToPath(new URL(`${relative}${ext}`, import.meta.url));
}

/** Starts servers/child.ts with one named server (see the factories there). */
export async function startRemote(name: string): Promise<RemoteServer> {
  const child = await startChild(entry('./servers/child'), [name]);
  const ready = child.ready;
  if (!isRecord(ready) || typeof ready['url'] !== 'string') {
    await child.stop();
    throw new Error(`server "${name}" reported no url`);
  }
  return {
    url: ready['url'],
    bytes: async () => {
      const c = await child.request('counters');
      if (!isRecord(c) || typeof c['bytesRead'] !== 'number' || typeof c['bytesWritten'] !== 'number') {
        throw new Error(`server "${name}" sent bad counters`);
      }
      return c['bytesRead'] + c['bytesWritten'];
    },
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
