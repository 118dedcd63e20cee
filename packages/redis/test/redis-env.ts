import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, Socket } from 'node:net';
import { Redis } from 'ioredis';

/** The shared Redis the tests use (never flushed: every test works under its own prefix). */
export const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

function reachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(Number(port || 6379), hostname, () => {
      socket.write('PING\r\n');
      socket.once('data', (d) => done(d.toString().startsWith('+PONG')));
    });
  });
}

function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version']).status === 0;
}

/**
 * Whether the Redis tests can run. In CI they must: a missing Redis fails the run. Elsewhere
 * they skip, loudly.
 */
export async function redisOrSkip(): Promise<boolean> {
  const ok = hasRedisServer() && (await reachable(REDIS_URL));
  if (ok) return true;
  const why = `redis-server is not installed or ${REDIS_URL} is unreachable`;
  if (process.env['CI'] === 'true') throw new Error(`${why}; CI must run the Redis tests (see DEVELOPERS.md)`);
  console.warn(`\n!!! SKIPPING @agentsocket/redis tests: ${why} !!!\n`);
  return false;
}

/** A key prefix no other test uses. */
export function uniquePrefix(): string {
  return `asp-test:${Date.now().toString(36)}${randomBytes(4).toString('hex')}:`;
}

/** Deletes every key under `prefix` (SCAN + DEL, never FLUSHDB on the shared Redis). */
export async function dropPrefix(prefix: string, url = REDIS_URL): Promise<void> {
  const r = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await r.del(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}

/** Keys under `prefix` and their TTLs (ms; -1 none). */
export async function keysWithTtl(prefix: string, url = REDIS_URL): Promise<Map<string, number>> {
  const r = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    const out = new Map<string, number>();
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      for (const k of keys) out.set(k, await r.pttl(k));
    } while (cursor !== '0');
    return out;
  } finally {
    r.disconnect();
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** A redis-server of a test's own, which the test may stop and start again on the same port. */
export class OwnRedis {
  readonly port: number;
  private child: ReturnType<typeof spawn> | undefined;

  private constructor(port: number) {
    this.port = port;
  }

  static async start(): Promise<OwnRedis> {
    const r = new OwnRedis(await freePort());
    await r.start();
    return r;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    this.child = child;
    const deadline = Date.now() + 10_000;
    while (!(await reachable(this.url))) {
      if (Date.now() > deadline) throw new Error(`redis-server on ${this.port} did not start`);
      if (child.exitCode !== null) throw new Error(`redis-server on ${this.port} exited with ${child.exitCode}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Kills it (SIGKILL): no goodbye to clients, nothing saved. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }
}

/** Turns Buffers (how Node's msgpack decodes binary) into plain Uint8Arrays, deeply, for toEqual. */
export function plainBytes(value: unknown): unknown {
  if (value instanceof Uint8Array) return new Uint8Array(value);
  if (Array.isArray(value)) return value.map(plainBytes);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plainBytes(v)]));
  return value;
}
