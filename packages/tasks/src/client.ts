import { compileSchema, ulidFactory } from '@agentsocket/core/internal';
import { DEFAULTS } from './defaults.js';
import { TaskError } from './errors.js';
import type { TaskQueue } from './queue.js';
import { RedisStreamsQueue } from './redis-queue.js';
import { ResultWaiter } from './results.js';
import type { NewTask, TaskStore } from './store.js';
import { isPriority, type TaskEvent, type TaskRecord, type TaskSpec } from './task.js';

export interface TaskClientInit {
  store: TaskStore;
  queue: TaskQueue;
  /**
   * Refuse tasks for tools no worker ever registered, and validate arguments against the
   * registered schema, at submit. @default true
   */
  validate?: boolean;
  /**
   * How long a registered capability's schema is reused before it is read again; unknown tools
   * are always read again. @default 1000
   */
  capabilityCacheMs?: number;
  /** Defaults for every submit. */
  defaults?: Pick<TaskSpec, 'maxAttempts' | 'resultTtlMs'>;
}

export interface SubmitResult {
  id: string;
  /** False when the idempotency key already named a task (this is that task). */
  created: boolean;
}

type CachedSchema = { text: string; read: number; validate: ReturnType<typeof compileSchema>['validate'] };

const TOOL_NAME = /^[A-Za-z0-9_.\-/]{1,128}$/;

/**
 * The orchestrator's side: submit, watch, wait for results, cancel, read dead letters. Plain
 * code or a tool handler of any agent can hold one.
 */
export class TaskClient {
  private readonly init: TaskClientInit;
  private readonly newId = ulidFactory();
  private readonly schemas = new Map<string, CachedSchema>();
  private readonly reading = new Map<string, Promise<CachedSchema>>();

  /** The queue, when it is a Redis stream on the store's Redis. */
  private readonly streams: RedisStreamsQueue | undefined;

  private readonly results: ResultWaiter;

  constructor(init: TaskClientInit) {
    this.init = init;
    this.results = new ResultWaiter(init.store, `${init.store.prefix}n:${this.newId()}`);
    this.streams = init.queue instanceof RedisStreamsQueue && init.queue.sharesRedisWith(init.store.connection) ? init.queue : undefined;
  }

  /**
   * Stores the task and puts it on the queue; resolves once both are durable. Rejects with a
   * TaskError: INVALID_TASK, UNKNOWN_CAPABILITY (404), INVALID_ARGUMENTS (422),
   * DEADLINE_PASSED (408), UNAVAILABLE (503; the task may have been stored: submit again with
   * the same idempotency key, which puts it on the queue again).
   */
  async submit(spec: TaskSpec): Promise<SubmitResult> {
    const task = this.check(spec);
    if (this.init.validate ?? true) await this.validate(task.tool, task.args);
    const { store, queue } = this.init;
    const entry = { id: task.id, tool: task.tool, priority: task.priority, key: task.idempotencyKey };
    // On one Redis the record and the queue entry are written by one script (one round trip).
    const fused = this.streams?.streamPush(entry);
    // With the client's channel subscribed before the record exists, result() needs no read.
    const tracked = this.results.ready();
    if (tracked) this.results.track(task.id);
    let stored: { id: string; created: boolean };
    try {
      stored = await store.create(task, fused, task.argsJson);
    } catch (error) {
      if (tracked) this.results.untrack(task.id);
      throw error;
    }
    const { id, created } = stored;
    if (tracked && !created) this.results.untrack(task.id);
    if (!created) {
      // The key names a task already; if it never reached the queue (a failed submit), put it there.
      const existing = await store.get(id);
      if (existing?.state === 'queued') {
        await queue.push({ id, tool: existing.tool, priority: existing.priority, key: existing.idempotencyKey });
      }
      return { id, created };
    }
    if (!fused) await queue.push(entry);
    return { id, created };
  }

  get(id: string): Promise<TaskRecord | undefined> {
    return this.init.store.get(id);
  }

  /** The task's events from its first, live, ending after the terminal one (see docs/tasks.md). */
  watch(id: string, options: { signal?: AbortSignal } = {}): AsyncGenerator<TaskEvent, void, undefined> {
    return this.init.store.watch(id, options.signal);
  }

  /** Waits for the task to end: its result, or a TaskError TASK_FAILED / TASK_CANCELLED / TIMEOUT. */
  async result(id: string, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<unknown> {
    const signals = [options.signal, options.timeoutMs === undefined ? undefined : AbortSignal.timeout(options.timeoutMs)].filter(
      (s): s is AbortSignal => s !== undefined,
    );
    const signal = signals.length > 0 ? AbortSignal.any(signals) : undefined;
    const ended = (event: TaskEvent): unknown => {
      if (event.type === 'failed') throw new TaskError('TASK_FAILED', `task ${id} failed: ${event.error.message}`, { data: event.error });
      if (event.type === 'cancelled') throw new TaskError('TASK_CANCELLED', `task ${id} was cancelled`);
      return event.type === 'succeeded' ? event.result : undefined;
    };
    try {
      // A task this client submitted: its outcome comes on the client's own channel.
      const outcome = await this.results.outcome(id, signal);
      if (outcome) return ended(outcome);
      for await (const event of this.watch(id, { signal })) {
        if (event.type === 'succeeded' || event.type === 'failed' || event.type === 'cancelled') return ended(event);
      }
    } catch (error) {
      if (error instanceof DOMException && error.name === 'TimeoutError') throw new TaskError('TIMEOUT', `task ${id} did not end within ${options.timeoutMs} ms`);
      throw error;
    }
    throw new TaskError('NOT_FOUND', `task ${id} ended without an outcome`);
  }

  /** Cancels a task that has not ended (a running handler sees ctx.signal abort); false if it had. */
  cancel(id: string): Promise<boolean> {
    return this.init.store.cancel(id);
  }

  deadLetters(limit?: number): Promise<TaskRecord[]> {
    return this.init.store.deadLetters(limit);
  }

  removeDeadLetter(id: string): Promise<boolean> {
    return this.init.store.removeDeadLetter(id);
  }

  private check(spec: TaskSpec): NewTask & { argsJson: string } {
    const bad = (message: string) => new TaskError('INVALID_TASK', message);
    if (typeof spec !== 'object' || spec === null) throw bad('a task must be an object');
    if (typeof spec.tool !== 'string' || !TOOL_NAME.test(spec.tool)) throw bad('task.tool must be a tool name (1-128 of [A-Za-z0-9_.-/])');
    if (spec.priority !== undefined && !isPriority(spec.priority)) throw bad('task.priority must be high, normal or low');
    if (spec.deadline !== undefined) {
      if (typeof spec.deadline !== 'number' || !Number.isSafeInteger(spec.deadline)) throw bad('task.deadline must be epoch milliseconds');
      if (spec.deadline <= Date.now()) throw new TaskError('DEADLINE_PASSED', `task.deadline ${new Date(spec.deadline).toISOString()} has passed`);
    }
    const key = spec.idempotencyKey;
    if (key !== undefined && (typeof key !== 'string' || key.length === 0 || key.length > 256)) throw bad('task.idempotencyKey must be 1-256 characters');
    const max = spec.maxAttempts ?? this.init.defaults?.maxAttempts ?? DEFAULTS.maxAttempts;
    if (!Number.isSafeInteger(max) || max < 1) throw bad('task.maxAttempts must be a positive integer');
    const ttl = spec.resultTtlMs ?? this.init.defaults?.resultTtlMs ?? DEFAULTS.resultTtlMs;
    if (!Number.isSafeInteger(ttl) || ttl < 1) throw bad('task.resultTtlMs must be a positive integer');
    let args: unknown;
    let argsJson: string;
    try {
      // Stored as this text; validated as what it reads back as.
      argsJson = JSON.stringify(spec.args ?? {});
      args = JSON.parse(argsJson);
    } catch (error) {
      throw new TaskError('INVALID_TASK', 'task.args must be JSON values', { cause: error });
    }
    const id = this.newId();
    return {
      id,
      tool: spec.tool,
      args,
      priority: spec.priority ?? 'normal',
      idempotencyKey: key ?? id,
      maxAttempts: max,
      deadline: spec.deadline,
      resultTtlMs: ttl,
      traceparent: spec.traceparent,
      notify: this.results.channel,
      argsJson,
    };
  }

  private async validate(tool: string, args: unknown): Promise<void> {
    let cached = this.schemas.get(tool);
    if (cached === undefined || Date.now() - cached.read > (this.init.capabilityCacheMs ?? DEFAULTS.capabilityCacheMs)) {
      // One read per tool at a time: concurrent submits wait for the same one.
      let reading = this.reading.get(tool);
      if (reading === undefined) {
        const previous = cached;
        reading = this.readCapability(tool, previous).finally(() => this.reading.delete(tool));
        this.reading.set(tool, reading);
      }
      cached = await reading;
    }
    const result = await cached.validate(args);
    if (!result.ok) throw new TaskError('INVALID_ARGUMENTS', `invalid arguments for ${tool}: ${result.message}`);
  }

  private async readCapability(tool: string, previous: CachedSchema | undefined): Promise<CachedSchema> {
    const schema = await this.init.store.capability(tool);
    if (schema === undefined) {
      this.schemas.delete(tool);
      throw new TaskError('UNKNOWN_CAPABILITY', `no worker offers the capability ${tool}`);
    }
    const text = JSON.stringify(schema);
    const cached = previous?.text === text ? { ...previous, read: Date.now() } : { text, read: Date.now(), validate: compileSchema(schema).validate };
    this.schemas.set(tool, cached);
    return cached;
  }
}
