import type { AgentRegistry } from './registry.js';

/** What a WorkerPresence reads from a task worker (@agentsocket/tasks' TaskWorker has both). */
export interface WorkerLike {
  readonly id: string;
  readonly tools: readonly string[];
}

/**
 * A WorkerEvent of @agentsocket/tasks, as far as a presence reads it: `leased` starts a task,
 * `settled` and `error` (lease given back) end it; other types are ignored.
 */
export interface WorkerPresenceEvent {
  type: string;
  taskId?: string;
}

export interface WorkerPresenceInit {
  /** A registry with a node name (the worker process's own, or its host node's). */
  registry: AgentRegistry;
  /** The namespace the worker is listed in, e.g. `/workers` or its team's. */
  ns: string;
  /** Failed registry writes. */
  onError?: (error: Error) => void;
}

/**
 * A task worker in the registry: listed in a namespace under its worker id with its tools as
 * capabilities, `busy` while it holds leases (its `inFlight` is the number of tasks it runs), and
 * `failed` if its process dies (its registry's heartbeat stops). Pass `onEvent` as the
 * TaskWorker's `onEvent` (or call it from yours), and `register(worker)` after `start()`.
 */
export class WorkerPresence {
  private readonly init: WorkerPresenceInit;
  private readonly running = new Set<string>();
  private worker: WorkerLike | undefined;

  constructor(init: WorkerPresenceInit) {
    this.init = init;
  }

  /** Registers the worker (and publishes `joined`). */
  async register(worker: WorkerLike): Promise<void> {
    this.worker = worker;
    await this.init.registry.register({ ns: this.init.ns, agentId: worker.id, sessionId: worker.id, tools: worker.tools });
    if (this.running.size > 0) this.changed();
  }

  /** Unregisters it (publishes `left`, reason `closed`). */
  async unregister(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.running.clear();
    if (worker) await this.init.registry.unregister(this.init.ns, worker.id, 'closed', worker.id);
  }

  /** The TaskWorker's event hook. */
  readonly onEvent = (event: WorkerPresenceEvent): void => {
    const id = event.taskId;
    if (id === undefined) return;
    const before = this.running.size;
    if (event.type === 'leased') this.running.add(id);
    else if (event.type === 'settled' || event.type === 'error') this.running.delete(id);
    if (this.running.size !== before) this.changed();
  };

  private changed(): void {
    const worker = this.worker;
    if (!worker) return;
    this.init.registry
      .update(this.init.ns, worker.id, { inFlight: this.running.size }, false)
      .catch((e: unknown) => this.init.onError?.(e instanceof Error ? e : new Error(String(e))));
  }
}
