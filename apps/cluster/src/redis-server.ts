import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { pingRedis } from './redis-probe.js';
import { waitFor, within } from './wait.js';

export interface RunningRedis {
  readonly port: number;
  readonly url: string;
  readonly running: boolean;
  /** Stops the server (SIGKILL by default: an outage, not a shutdown). Without `aof` its data is gone. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port: empty, or with `aof` from its append-only file. */
  start(): Promise<void>;
  /** Stops it and removes its directory. */
  remove(): Promise<void>;
}

export interface RedisServerOptions {
  /**
   * Keep an append-only file fsynced on every write (`--appendonly yes --appendfsync always`) in
   * a temp dir, so a restart, even after SIGKILL, keeps every acknowledged write. @default false
   */
  aof?: boolean;
}

/**
 * A private, throwaway redis-server (`--save '' --appendonly no`, or with `aof`) on a free port,
 * for a test that stops and restarts Redis without touching the shared one.
 */
export async function startRedisServer(binary = 'redis-server', options: RedisServerOptions = {}): Promise<RunningRedis> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'asp-redis-'));
  const persistence = options.aof ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const start = async () => {
    if (child) return;
    const c = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', ...persistence, '--loglevel', 'warning'], {
      stdio: 'ignore',
    });
    child = c;
    exited = new Promise((resolve) => {
      const gone = () => {
        if (child === c) child = undefined;
        resolve();
      };
      c.once('exit', gone);
      c.once('error', gone);
    });
    await waitFor(async () => child !== c || (await pingRedis(url, 200)), `redis-server on ${port}`, 10_000);
    if (child !== c) throw new Error(`redis-server on ${port} exited at start`);
  };
  const stop = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (!child) return;
    child.kill(signal);
    await within(exited, 10_000, `redis-server on ${port} to exit`);
  };
  await start();
  return {
    port,
    url,
    get running() {
      return child !== undefined;
    },
    stop,
    start,
    remove: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
