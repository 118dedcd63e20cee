import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { within } from '@agentsocket/cluster/lib';

const ENTRY = fileURLToPath(new URL('./worker.ts', import.meta.url));

export interface WorkerOptions {
  redisUrl: string;
  prefix: string;
  wsUrl: string;
  leaseMs: number;
  concurrency: number;
  log?: (id: string, line: string) => void;
  /** A worker exited without being killed by `kill` (its last lines of output). */
  onCrash?: (id: string, why: string, tail: string[]) => void;
}

/** The worker processes: started, SIGKILLed and started again under the same id. */
export class WorkerPool {
  private readonly options: WorkerOptions;
  private readonly children = new Map<string, ChildProcess>();

  constructor(options: WorkerOptions) {
    this.options = options;
  }

  private readonly up = new Set<string>();

  get ids(): string[] {
    return [...this.children.keys()];
  }

  /** Workers started and not killed since. */
  get ready(): string[] {
    return [...this.up];
  }

  private readonly generations = new Map<string, number>();

  /**
   * Starts worker `id` (again); resolves once it printed its ready line. Each start is a new agent
   * (`<id>.<start>`): the session of a killed one stays resumable for a while, holding its name.
   * A start that fails (Redis restarting, say) is tried again, up to `attempts` times.
   */
  async start(id: string, attempts = 5): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.startOnce(id);
        return;
      } catch (error) {
        if (attempt >= attempts || this.stopped) throw error;
        this.options.log?.(id, `start failed, trying again: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  private async startOnce(id: string): Promise<void> {
    const o = this.options;
    const generation = (this.generations.get(id) ?? 0) + 1;
    this.generations.set(id, generation);
    const name = `${id}.${generation}`;
    const args = ['--conditions=@agentsocket/source', '--import', 'tsx', ENTRY, '--id', name, '--redis-url', o.redisUrl, '--prefix', o.prefix];
    args.push('--ws-url', o.wsUrl, '--lease-ms', String(o.leaseMs), '--concurrency', String(o.concurrency));
    const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.children.set(id, child);
    const tail: string[] = [];
    const remember = (line: string) => {
      tail.push(line);
      if (tail.length > 20) tail.shift();
      this.options.log?.(id, line);
    };
    if (child.stderr) createInterface({ input: child.stderr }).on('line', remember);
    const ready = new Promise<void>((resolve, reject) => {
      if (child.stdout) {
        createInterface({ input: child.stdout }).on('line', (line) => {
          if (line === `ready ${name}`) resolve();
          else remember(line);
        });
      }
      child.once('exit', (code, signal) => reject(new Error(`${name} exited (${code ?? signal}) before it was ready:\n${tail.join('\n')}`)));
    });
    await within(ready, 60_000, `${id} to be ready`).catch((error: unknown) => {
      child.kill('SIGKILL');
      throw error;
    });
    if (this.children.get(id) === child) this.up.add(id);
    child.once('exit', (code, signal) => {
      if (this.children.get(id) !== child || !this.up.has(id)) return;
      this.up.delete(id);
      this.options.onCrash?.(id, String(code ?? signal), tail);
    });
  }

  /** SIGKILL, as a crash or an OOM kill would; resolves once the process is gone. */
  async kill(id: string): Promise<void> {
    const child = this.children.get(id);
    this.up.delete(id);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await within(gone, 10_000, `${id} to exit`);
  }

  private stopped = false;

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.ids.map((id) => this.kill(id)));
    this.children.clear();
  }
}
