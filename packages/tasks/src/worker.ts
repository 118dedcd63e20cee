import { randomBytes } from 'node:crypto';
import { type Agent, type BackoffOptions, type DedupClaim, type DedupStore, ErrorCode } from '@agentsocket/core';
import { backoffDelay, claimWaiting, isRecord, runTool, sleep } from '@agentsocket/core/internal';
import { RedisDedupStore } from '@agentsocket/redis';
import type { DedupFusion } from '@agentsocket/redis/internal';
import { DEFAULTS } from './defaults.js';
import { TaskError } from './errors.js';
import { failureOf, isRetryable } from './failure.js';
import type { Consumer, Lease, TaskQueue } from './queue.js';
import { RedisStreamsQueue } from './redis-queue.js';
import type { Outcome, TaskStore } from './store.js';
import type { TaskFailure, TaskRecord } from './task.js';
import { taskToolContext } from './tool-run.js';

export interface TaskWorkerInit {
  /** The agent whose tools are the capabilities; the same handlers serve live calls. */
  agent: Agent;
  store: TaskStore;
  queue: TaskQueue;
  /**
   * Where side effects are recorded once per idempotency key.
   * @default a RedisDedupStore on the store's connection and prefix, with the queue's leaseMs
   */
  dedup?: DedupStore;
  /** Which of the agent's tools to take tasks for. @default all of them */
  tools?: readonly string[];
  /** Tasks run at once. @default 8 */
  concurrency?: number;
  /** Delay before attempt n+1 after a retryable failure (core's backoffDelay). @default { initialMs: 500, maxMs: 30000, factor: 2, jitter: 0.5 } */
  retry?: BackoffOptions;
  /** This worker's name at the broker and in `claimed` events. @default the agent's name + random suffix */
  id?: string;
  /** Told of each task this worker settles, for metrics and logs. */
  onEvent?: (event: WorkerEvent) => void;
}

export type WorkerEvent =
  /** A lease arrived for a task; `redelivered` when an earlier holder's lease expired or was given back (Lease.redelivered). */
  | { type: 'leased'; taskId: string; tool: string; redelivered: boolean }
  | { type: 'settled'; taskId: string; tool: string; outcome: 'succeeded' | 'failed' | 'retrying' | 'lost' | 'skipped'; durationMs: number }
  /** The store or queue failed while handling a task: its lease was given back. */
  | { type: 'error'; taskId: string; error: Error };

/** `fresh`: the handler ran in this attempt, so its outcome goes to the dedup store with the record. */
type Execution = { ok: true; result: unknown; fresh: boolean } | { ok: false; error: TaskFailure; retryable: boolean };

/**
 * A worker agent: claims tasks for its agent's tools, runs each through the tool's handler (the
 * arguments validated by the tool's schema, yields becoming progress events), and records the
 * outcome once. The handler's side effect runs once per idempotency key: the dedup store is
 * claimed first, and a key already done replays its outcome instead of running again.
 */
export class TaskWorker {
  readonly id: string;
  private readonly init: TaskWorkerInit;
  private readonly dedup: DedupStore;
  private readonly ownsDedup: boolean;
  private readonly concurrency: number;
  private readonly running = new Map<Promise<void>, AbortController>();
  /** The queue, when it is a Redis stream on the store's Redis (record writes then ack in the same script). */
  private readonly streams: RedisStreamsQueue | undefined;
  /** The default dedup store's claim and outcome writes, folded into the store's start and finish scripts. */
  private readonly fusion: DedupFusion | undefined;
  private consumer: Consumer | undefined;
  private promoter: ReturnType<typeof setInterval> | undefined;
  /** Attempts running now, renewed together by one timer (every leaseMs / 3). */
  private readonly attempts = new Set<{ lease: Lease; id: string; epoch: string; abort: (reason: TaskError) => void }>();
  private renewer: ReturnType<typeof setInterval> | undefined;
  private promoting = false;
  private closing = false;

  constructor(init: TaskWorkerInit) {
    this.init = init;
    this.id = init.id ?? `${init.agent.name}-${randomBytes(4).toString('hex')}`;
    this.concurrency = init.concurrency ?? DEFAULTS.concurrency;
    this.streams = init.queue instanceof RedisStreamsQueue && init.queue.sharesRedisWith(init.store.connection) ? init.queue : undefined;
    this.ownsDedup = init.dedup === undefined;
    const own = init.dedup ?? new RedisDedupStore({ connection: init.store.connection, prefix: init.store.prefix, leaseMs: init.queue.leaseMs });
    this.dedup = own;
    this.fusion = init.dedup === undefined && own instanceof RedisDedupStore ? own.fusion() : undefined;
  }

  get tools(): string[] {
    const all = this.init.agent.tools.map((t) => t.name);
    return this.init.tools ? all.filter((t) => this.init.tools?.includes(t)) : all;
  }

  /** Registers the capabilities and starts taking tasks. */
  async start(): Promise<void> {
    const tools = this.tools;
    await this.init.store.registerCapabilities(this.init.agent.tools.filter((t) => tools.includes(t.name)));
    this.consumer = await this.init.queue.consume(tools, (lease) => this.take(lease), { prefetch: this.concurrency, name: this.id });
    if (this.streams) {
      // On one Redis, a submit can start a task for this worker while it is idle and hand it over.
      const { store, queue } = this.init;
      const fusion = this.fusion;
      const dedup = fusion && { fusion, ttlMs: queue.leaseMs };
      let direct: { prefix: string; nodes: string; marker: Buffer; lease: number } | undefined;
      if (fusion) {
        const [prefix, nodes] = fusion.keys('');
        const [marker, lease] = fusion.claimArgs(queue.leaseMs);
        direct = { prefix, nodes, marker, lease };
      }
      this.streams.acceptStarts(this.consumer, {
        worker: this.id,
        storePrefix: store.prefix,
        dedup: direct,
        parse: (taskId, reply) => store.handedStart(taskId, this.id, reply, dedup),
      });
    }
    this.promoter = setInterval(() => void this.promote(), DEFAULTS.promoteEveryMs);
    this.promoter.unref();
    this.renewer = setInterval(() => this.renewAll(), Math.max(20, Math.floor(this.init.queue.leaseMs / 3)));
    this.renewer.unref();
  }

  /**
   * Stops taking tasks, lets running ones finish for up to `graceMs`, then interrupts the rest
   * and gives their leases back (they run again elsewhere).
   */
  async close(graceMs = 0): Promise<void> {
    this.closing = true;
    if (this.promoter) clearInterval(this.promoter);
    if (this.renewer) clearInterval(this.renewer);
    await this.consumer?.stop();
    if (this.running.size > 0 && graceMs > 0) {
      await Promise.race([Promise.allSettled(this.running.keys()), sleep(graceMs)]);
    }
    for (const controller of this.running.values()) controller.abort(new TaskError('UNAVAILABLE', 'the worker is closing'));
    await Promise.allSettled(this.running.keys());
    if (this.ownsDedup) await this.dedup.close?.();
  }

  private take(lease: Lease): void {
    this.init.onEvent?.({ type: 'leased', taskId: lease.entry.id, tool: lease.entry.tool, redelivered: lease.redelivered === true });
    const controller = new AbortController();
    const run = this.handle(lease, controller).finally(() => this.running.delete(run));
    this.running.set(run, controller);
  }

  private async handle(lease: Lease, controller: AbortController): Promise<void> {
    const { store, queue } = this.init;
    const began = performance.now();
    const settled = (outcome: 'succeeded' | 'failed' | 'retrying' | 'lost' | 'skipped') =>
      this.init.onEvent?.({ type: 'settled', taskId: lease.entry.id, tool: lease.entry.tool, outcome, durationMs: performance.now() - began });
    let attempt: { lease: Lease; id: string; epoch: string; abort: (reason: TaskError) => void } | undefined;
    // A dedup claim made beside the start, until execute takes it over.
    let early: Promise<Exclude<DedupClaim, { status: 'pending' }> | undefined> | undefined;
    let deadline: ReturnType<typeof setTimeout> | undefined;
    try {
      // The dedup claim goes with the start when the entry names its idempotency key: in the start
      // script when the dedup store is the default one (fusion), else as a command beside it.
      const key = lease.entry.key;
      const claimable = key !== undefined && this.init.agent.registry.get(lease.entry.tool) !== undefined;
      const fused = claimable && this.fusion ? { fusion: this.fusion, key: `tasks:${key}`, idempotencyKey: key, ttlMs: queue.leaseMs } : undefined;
      early = claimable && !fused ? this.claimEarly(`tasks:${key}`) : undefined;
      // A finish that handed its slot on may have started this task already, in the same script.
      const started = this.streams?.startedWith(lease) ?? (await store.start(lease.entry.id, this.id, fused));
      if (started.kind === 'skip') {
        await this.dropEarly(lease, early);
        early = undefined;
        await queue.ack(lease);
        settled('skipped');
        return;
      }
      if (started.claim) early = Promise.resolve(started.claim.status === 'pending' ? undefined : started.claim);
      const { record, epoch } = started;
      const abort = (reason: TaskError) => {
        if (!controller.signal.aborted) controller.abort(reason);
      };
      attempt = { lease, id: record.id, epoch, abort };
      this.attempts.add(attempt);
      if (record.deadline !== undefined) {
        deadline = setTimeout(() => abort(new TaskError('TIMEOUT', `task ${record.id} passed its deadline`)), Math.max(0, record.deadline - Date.now()));
      }
      let claimed = early && (await early);
      if (key !== record.idempotencyKey) {
        await this.dropEarly(lease, early);
        claimed = undefined;
      }
      early = undefined;
      const execution = await this.execute(record, epoch, controller.signal, claimed);
      if (this.closing && controller.signal.aborted) {
        // Recorded even so: the side effect happened, the next holder replays it.
        if (execution.ok && execution.fresh) await this.dedup.complete(`tasks:${record.idempotencyKey}`, { ok: true, result: execution.result }, record.resultTtlMs);
        await queue.release(lease);
        return;
      }
      settled(await this.record(record, epoch, execution, lease));
    } catch (error) {
      // The store or the broker failed: give the lease back so the task runs again.
      this.init.onEvent?.({ type: 'error', taskId: lease.entry.id, error: error instanceof Error ? error : new Error(String(error)) });
      await queue.release(lease).catch(() => {});
      await this.dropEarly(lease, early).catch(() => {});
    } finally {
      if (attempt) this.attempts.delete(attempt);
      clearTimeout(deadline);
    }
  }

  /**
   * Renews the lease of every running attempt and reads its standing (one timer for all, every
   * leaseMs / 3). A lost lease does not stop the handler: the new attempt waits on the dedup claim
   * this one holds and replays its outcome, so the side effect still runs once. A cancel does stop it.
   */
  private renewAll(): void {
    const { store, queue } = this.init;
    for (const a of this.attempts) {
      queue.renew(a.lease).catch(() => {});
      store.standing(a.id, a.epoch).then(
        (s) => {
          if (s === 'cancelled') a.abort(new TaskError('TASK_CANCELLED', `task ${a.id} was cancelled`));
        },
        () => {},
      );
    }
  }

  /**
   * Records the outcome, then acks the lease: in the same script when the queue is a Redis
   * stream on the store's Redis, else after the record write.
   */
  private async record(task: TaskRecord, epoch: string, execution: Execution, lease: Lease): Promise<'succeeded' | 'failed' | 'retrying' | 'lost'> {
    const { store, queue } = this.init;
    // A success hands its slot on: the finish script also takes the consumer's next entries.
    const hand = execution.ok ? this.streams?.streamHandoff(lease) : undefined;
    // ... and starts what it takes (with the dedup claim when the dedup store is fused).
    if (hand?.next) hand.next.start = { worker: this.id, dedup: this.fusion && { fusion: this.fusion, ttlMs: queue.leaseMs } };
    const ack = hand ? hand.ack : this.streams?.streamAck(lease);
    let outcome: 'succeeded' | 'failed' | 'retrying' | 'lost';
    if (execution.ok) {
      const success = { ok: true, result: execution.result } as const;
      const dedupKey = `tasks:${task.idempotencyKey}`;
      let finished: boolean;
      if (execution.fresh && this.fusion) {
        // The dedup outcome is written by the finish script itself (first, whatever it answers).
        const done = this.fusion.completion(dedupKey, success, task.resultTtlMs);
        try {
          finished = await store.finish(task, epoch, success, ack, done, hand?.next);
        } catch (error) {
          // Keep trying to record the outcome (as complete() does through an outage) while the lease goes back.
          void this.dedup.complete(dedupKey, success, task.resultTtlMs);
          throw error;
        }
      } else {
        // Both writes go out back to back (one round trip when they share a connection); the
        // order does not matter for safety: either one alone makes a redelivery harmless.
        const recorded = execution.fresh ? this.dedup.complete(dedupKey, success, task.resultTtlMs) : undefined;
        [finished] = await Promise.all([store.finish(task, epoch, success, ack, undefined, hand?.next), recorded]);
      }
      outcome = finished ? 'succeeded' : 'lost';
    } else if (execution.retryable && task.attempts < task.maxAttempts) {
      const delay = backoffDelay(task.attempts - 1, { ...DEFAULTS.retry, ...this.init.retry });
      outcome = (await store.retry(task.id, epoch, execution.error, delay, ack)) ? 'retrying' : 'lost';
    } else {
      const failed: Outcome = { ok: false, error: execution.error, dead: true };
      outcome = (await store.finish(task, epoch, failed, ack)) ? 'failed' : 'lost';
    }
    if (!ack) await queue.ack(lease);
    return outcome;
  }

  /** One dedup claim, sent beside the start; a held key ('pending') is waited for after it. */
  private claimEarly(key: string): Promise<Exclude<DedupClaim, { status: 'pending' }> | undefined> {
    return this.dedup.claim(key, this.init.queue.leaseMs).then(
      (c) => (c.status === 'pending' ? undefined : c),
      () => undefined,
    );
  }

  /** Gives back a key claimed early for an attempt that will not run. */
  private async dropEarly(lease: Lease, early: Promise<DedupClaim | undefined> | undefined): Promise<void> {
    const claim = await early;
    if (claim?.status === 'new') await this.dedup.release(`tasks:${lease.entry.key}`);
  }

  /** `early`: the dedup claim already made for this attempt (a held key is undefined). */
  private async execute(
    task: TaskRecord,
    epoch: string,
    signal: AbortSignal,
    early: Exclude<DedupClaim, { status: 'pending' }> | undefined,
  ): Promise<Execution> {
    const key = `tasks:${task.idempotencyKey}`;
    const tool = this.init.agent.registry.get(task.tool);
    if (!tool) {
      if (early?.status === 'new') await this.dedup.release(key);
      // Another worker may still serve it.
      return { ok: false, error: { code: ErrorCode.TOOL_NOT_FOUND, message: `worker ${this.id} has no tool ${task.tool}` }, retryable: true };
    }
    const valid = await tool.schema.validate(task.args);
    if (!valid.ok) {
      if (early?.status === 'new') await this.dedup.release(key);
      return { ok: false, error: { code: ErrorCode.INVALID_ARGUMENTS, message: valid.message }, retryable: false };
    }
    // Another attempt may hold the key (or held it and died: its claim lapses): wait for it.
    const claim = early ?? (await claimWaiting(this.dedup, key, task.resultTtlMs, signal));
    if (!claim) {
      const message = signal.aborted ? failureOf(signal.reason).message : `another attempt of ${task.id} is still running`;
      return { ok: false, error: { code: ErrorCode.UNAVAILABLE, message }, retryable: true };
    }
    if (claim.status === 'done') {
      const o = claim.outcome;
      if (isRecord(o) && o['ok'] === true) return { ok: true, result: o['result'], fresh: false };
    }
    const ctx = taskToolContext({
      tool: task.tool,
      taskId: task.id,
      idempotencyKey: task.idempotencyKey,
      attempt: task.attempts,
      signal,
      traceparent: task.traceparent,
      dedup: this.dedup,
      ttlMs: task.resultTtlMs,
    });
    try {
      const result = await runTool(tool.handler, valid.value, ctx, async (chunk) => {
        await this.init.store.progress(task.id, epoch, chunk);
      });
      // Recorded even if the lease was lost meanwhile: the side effect happened, the next holder replays it.
      return { ok: true, result, fresh: true };
    } catch (error) {
      await this.dedup.release(key);
      const failure = failureOf(error);
      return { ok: false, error: failure, retryable: isRetryable(failure) };
    }
  }

  /** Moves retries whose backoff is over back onto the queue. */
  private async promote(): Promise<void> {
    if (this.promoting || this.closing) return;
    this.promoting = true;
    try {
      const due = await this.init.store.takeDue(100, 30_000);
      for (const entry of due) await this.init.queue.push(entry);
      await this.init.store.settleDue(due.map((e) => e.id));
    } catch {
      // Held back entries come due again after 30 s; the next promoter pushes them.
    } finally {
      this.promoting = false;
    }
  }
}
