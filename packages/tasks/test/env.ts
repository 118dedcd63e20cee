import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/** The shared Redis (never flushed: every test works under its own prefix). */
export const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
export const AMQP_URL = process.env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';

function probe(host: string, port: number, hello?: string, expect?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, host, () => {
      if (hello === undefined) return done(true);
      socket.write(hello);
      socket.once('data', (d) => done(expect === undefined || d.toString().startsWith(expect)));
    });
  });
}

function redisReachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return probe(hostname, Number(port || 6379), 'PING\r\n', '+PONG');
}

function skipOrFail(what: string, why: string): false {
  if (process.env['CI'] === 'true') throw new Error(`${why}; CI must run the ${what} tests (.ci/run starts it)`);
  console.warn(`\n!!! SKIPPING @agentsocket/tasks ${what} tests: ${why} !!!\n`);
  return false;
}

export async function redisOrSkip(): Promise<boolean> {
  const ok = spawnSync('redis-server', ['--version']).status === 0 && (await redisReachable(REDIS_URL));
  return ok || skipOrFail('Redis', `redis-server is not installed or ${REDIS_URL} is unreachable`);
}

export async function rabbitOrSkip(): Promise<boolean> {
  const { hostname, port } = new URL(AMQP_URL);
  // AMQP 0-9-1: the broker answers a protocol header with its connection.start.
  const ok = await probe(hostname, Number(port || 5672), 'AMQP\x00\x00\x09\x01');
  return ok || skipOrFail('RabbitMQ', `nothing listens at ${AMQP_URL}`);
}

export function hasRabbitmqctl(): boolean {
  return spawnSync('rabbitmqctl', ['version'], { stdio: 'ignore' }).status === 0;
}

/**
 * The RabbitMQ vhost the tests use: their own ('asp-tasks-test'), made with rabbitmqctl when it
 * is there, so nothing they declare sits beside other users' queues; '/' otherwise.
 */
export function rabbitVhostUrl(): string {
  const vhost = 'asp-tasks-test';
  if (!hasRabbitmqctl()) return AMQP_URL;
  spawnSync('rabbitmqctl', ['add_vhost', vhost], { stdio: 'ignore' });
  const set = spawnSync('rabbitmqctl', ['set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*'], { stdio: 'ignore' });
  if (set.status !== 0) {
    console.warn(`\n!!! @agentsocket/tasks: could not set up the RabbitMQ vhost ${vhost}; using / !!!\n`);
    return AMQP_URL;
  }
  return `${AMQP_URL.replace(/\/+$/, '')}/${vhost}`;
}

/** A prefix no other test uses. */
export function uniquePrefix(sep = ':'): string {
  return `asp-test${sep}${Date.now().toString(36)}${randomBytes(4).toString('hex')}${sep}`;
}

/** Deletes every key under `prefix` (SCAN + DEL, never FLUSHDB on the shared Redis). */
export async function dropPrefix(prefix: string, url = REDIS_URL): Promise<void> {
  const r = new Redis(url, { maxRetriesPerRequest: 1 });
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

export async function freePort(): Promise<number> {
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

/** Polls `check` until it is true; fails after `timeoutMs` naming `what`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * A redis-server of a test's own with AOF on (appendfsync always) in a temp dir, which the test
 * may kill and start again on the same port and data.
 */
export class OwnRedis {
  readonly port: number;
  readonly dir: string;
  private child: ReturnType<typeof spawn> | undefined;

  private constructor(port: number) {
    this.port = port;
    this.dir = mkdtempSync(join(tmpdir(), 'asp-tasks-redis-'));
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
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', this.dir];
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    this.child = child;
    const deadline = Date.now() + 10_000;
    while (!(await redisReachable(this.url))) {
      if (Date.now() > deadline) throw new Error(`redis-server on ${this.port} did not start`);
      if (child.exitCode !== null) throw new Error(`redis-server on ${this.port} exited with ${child.exitCode}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** SIGKILL: no goodbye to clients, nothing flushed beyond what AOF already has. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  async dispose(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// Debian's /usr/sbin wrappers switch to the rabbitmq user; the scripts under them run a node as anyone.
const RABBIT_BIN = existsSync('/usr/lib/rabbitmq/bin/rabbitmq-server') ? '/usr/lib/rabbitmq/bin/' : '';

/** True when this machine can start a RabbitMQ node of a test's own (`OwnRabbit`). */
export function canRunOwnRabbit(): boolean {
  const ctl = spawnSync(`${RABBIT_BIN}rabbitmqctl`, ['version'], { stdio: 'ignore' }).status === 0;
  return ctl && (RABBIT_BIN !== '' || spawnSync('sh', ['-c', 'command -v rabbitmq-server'], { stdio: 'ignore' }).status === 0);
}

/** Runs a command without blocking the event loop; its exit status and output. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', (e) => resolve({ status: null, output: String(e) }));
    child.once('close', (status) => resolve({ status, output }));
  });
}

/**
 * A RabbitMQ node of a test's own (free AMQP and distribution ports, its own node name, data,
 * logs and Erlang cookie in a temp dir), which the test may stop and start (`stop_app`,
 * `start_app`) without touching the machine's shared broker or anyone else's tests on it.
 */
export class OwnRabbit {
  readonly port: number;
  readonly node: string;
  readonly dir: string;
  private readonly env: NodeJS.ProcessEnv;
  private child: ReturnType<typeof spawn> | undefined;

  private constructor(port: number, distPort: number) {
    this.port = port;
    this.dir = mkdtempSync(join(tmpdir(), 'asp-tasks-rabbit-'));
    this.node = `asp-tasks-${randomBytes(4).toString('hex')}@localhost`;
    writeFileSync(join(this.dir, 'enabled_plugins'), '[].\n');
    writeFileSync(join(this.dir, 'rabbitmq.conf'), '');
    writeFileSync(join(this.dir, 'rabbitmq-env.conf'), '');
    this.env = {
      ...process.env,
      HOME: this.dir,
      RABBITMQ_NODENAME: this.node,
      RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
      RABBITMQ_NODE_PORT: String(port),
      RABBITMQ_DIST_PORT: String(distPort),
      RABBITMQ_MNESIA_BASE: join(this.dir, 'mnesia'),
      RABBITMQ_LOG_BASE: join(this.dir, 'log'),
      RABBITMQ_PID_FILE: join(this.dir, 'pid'),
      RABBITMQ_ENABLED_PLUGINS_FILE: join(this.dir, 'enabled_plugins'),
      RABBITMQ_CONFIG_FILE: join(this.dir, 'rabbitmq'),
      RABBITMQ_ADVANCED_CONFIG_FILE: join(this.dir, 'advanced.config'),
      RABBITMQ_CONF_ENV_FILE: join(this.dir, 'rabbitmq-env.conf'),
    };
  }

  static async start(): Promise<OwnRabbit> {
    const r = new OwnRabbit(await freePort(), await freePort());
    try {
      await r.start();
    } catch (error) {
      await r.dispose();
      throw error;
    }
    return r;
  }

  get url(): string {
    return `amqp://guest:guest@127.0.0.1:${this.port}`;
  }

  /** `rabbitmqctl -n <this node> …`; throws with its output when it fails. */
  async ctl(...args: string[]): Promise<void> {
    const r = await run(`${RABBIT_BIN}rabbitmqctl`, ['-n', this.node, ...args], this.env);
    if (r.status !== 0) throw new Error(`rabbitmqctl -n ${this.node} ${args.join(' ')} failed: ${r.output}`);
  }

  private async start(): Promise<void> {
    const child = spawn(`${RABBIT_BIN}rabbitmq-server`, [], { env: this.env, cwd: this.dir, stdio: 'ignore' });
    this.child = child;
    // await_startup fails at once until the node has registered with epmd: ask again until then.
    const deadline = Date.now() + 90_000;
    for (;;) {
      const r = await run(`${RABBIT_BIN}rabbitmqctl`, ['-n', this.node, 'await_startup', '--timeout', '60'], this.env);
      if (r.status === 0) return;
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`RabbitMQ node ${this.node} did not start (exit ${child.exitCode}): ${r.output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** Stops the node (rabbitmqctl stop; SIGKILL if it does not go) and deletes its files. */
  async dispose(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      await run(`${RABBIT_BIN}rabbitmqctl`, ['-n', this.node, 'stop'], this.env);
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    }
    // The script runs the Erlang VM as its child: make sure that is gone too.
    const pid = Number(existsSync(join(this.dir, 'pid')) ? readFileSync(join(this.dir, 'pid'), 'utf8').trim() : NaN);
    if (Number.isSafeInteger(pid) && pid > 0) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
