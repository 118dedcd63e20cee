import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.js';
import { parseReady } from './ready.js';
import { within } from './wait.js';

export interface SupervisorOptions {
  /** How many nodes. @default 3 */
  count?: number;
  redisUrl: string;
  /** Redis key prefix shared by the nodes of this cluster. */
  prefix: string;
  /** Node ids are `<idPrefix>1`, `<idPrefix>2`, ... @default 'node-' */
  idPrefix?: string;
  /** The node program, a .ts file run with tsx. @default this app's src/node.ts */
  entry?: string;
  /** Extra flags for every node, e.g. ['--session-ttl-ms', '30000']. */
  args?: string[];
  /** Each line a node prints, for narration or debugging. @default silent */
  log?: (nodeId: string, line: string) => void;
  /** @default 20000 */
  readyTimeoutMs?: number;
}

export interface NodeProcess {
  readonly id: string;
  readonly port: number;
  /** undefined while the node is down. */
  readonly pid: number | undefined;
  readonly running: boolean;
}

interface Slot {
  id: string;
  port: number;
  child: ChildProcess | undefined;
  exited: Promise<void>;
}

const APP_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Starts N node processes (`node --conditions=@agentsocket/source --import tsx src/node.ts`, or
 * another program that calls `runNodeProcess`), each
 * on a fixed port so a restarted node takes its old place behind the load balancer.
 */
export class Supervisor {
  private readonly options: SupervisorOptions;
  private readonly slots: Slot[] = [];

  constructor(options: SupervisorOptions) {
    this.options = options;
  }

  get nodes(): NodeProcess[] {
    return this.slots.map((s) => ({ id: s.id, port: s.port, pid: s.child?.pid, running: s.child !== undefined }));
  }

  get ports(): number[] {
    return this.slots.map((s) => s.port);
  }

  /** Picks ports and starts every node; resolves when all printed their ready line. */
  async start(): Promise<void> {
    const count = this.options.count ?? 3;
    for (let i = 1; i <= count; i++) {
      this.slots.push({ id: `${this.options.idPrefix ?? 'node-'}${i}`, port: await freePort(), child: undefined, exited: Promise.resolve() });
    }
    await Promise.all(this.slots.map((s) => this.spawn(s)));
  }

  /** Kills a node without warning (SIGKILL, as a crash or OOM kill would); resolves once it is gone. */
  async kill(id: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const slot = this.slot(id);
    if (!slot.child) return;
    slot.child.kill(signal);
    await within(slot.exited, 15_000, `${id} to exit after ${signal}`);
  }

  /** Starts a node that was killed again, on its old port. */
  async restart(id: string): Promise<void> {
    const slot = this.slot(id);
    if (slot.child) await this.kill(id);
    await this.spawn(slot);
  }

  /** SIGTERM to every node (they drain), SIGKILL to any still running after 10 s. */
  async stop(): Promise<void> {
    await Promise.all(
      this.slots.map(async (s) => {
        const child = s.child;
        if (!child) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await s.exited;
        clearTimeout(timer);
      }),
    );
  }

  private slot(id: string): Slot {
    const slot = this.slots.find((s) => s.id === id);
    if (!slot) throw new Error(`no node "${id}" (have ${this.slots.map((s) => s.id).join(', ')})`);
    return slot;
  }

  private spawn(slot: Slot): Promise<void> {
    const args = [
      '--conditions=@agentsocket/source',
      '--import',
      'tsx',
      this.options.entry ?? 'src/node.ts',
      '--port',
      String(slot.port),
      '--node-id',
      slot.id,
      '--redis-url',
      this.options.redisUrl,
      '--prefix',
      this.options.prefix,
      '--exit-with-parent',
      ...(this.options.args ?? []),
    ];
    const child = spawn(process.execPath, args, { cwd: APP_DIR, stdio: ['pipe', 'pipe', 'pipe'], env: process.env });
    slot.child = child;
    slot.exited = new Promise<void>((resolve) => {
      child.once('exit', () => {
        if (slot.child === child) slot.child = undefined;
        resolve();
      });
    });
    const log = this.options.log;
    const tail: string[] = [];
    const remember = (line: string) => {
      tail.push(line);
      if (tail.length > 30) tail.shift();
      log?.(slot.id, line);
    };
    const ready = new Promise<void>((resolve, reject) => {
      if (child.stdout) {
        createInterface({ input: child.stdout }).on('line', (line) => {
          if (parseReady(line)?.node === slot.id) resolve();
          else remember(line);
        });
      }
      if (child.stderr) createInterface({ input: child.stderr }).on('line', remember);
      void slot.exited.then(() => reject(new Error(`${slot.id} exited before it was ready:\n${tail.join('\n')}`)));
    });
    return within(ready, this.options.readyTimeoutMs ?? 20_000, `${slot.id} to be ready`).catch((error: unknown) => {
      child.kill('SIGKILL');
      throw error;
    });
  }
}
