import { type JsonSchema, ProtocolError, type ToolInfo } from '@agentsocket/core';
import type { RedisConnection } from '@agentsocket/redis';
import { guarded } from '@agentsocket/redis/internal';
import { DEFAULTS } from './defaults.js';
import { TaskError } from './errors.js';
import { pairs, parseRecord } from './record.js';
import { CANCEL, FINISH, FINISH_ACK, PROGRESS, RETRY, RETRY_ACK, ALL as SCRIPTS, START, SUBMIT, SUBMIT_PUSH, TAKE_DUE } from './store-scripts.js';
import { Subscriber } from './subscriber.js';
import type { Priority, QueueEntry, TaskEvent, TaskFailure, TaskRecord } from './task.js';
import { watchEvents } from './watch.js';

export interface TaskStoreInit {
  /** The Redis that keeps task records, results, events and dead letters (AOF on: see docs/tasks.md). */
  connection: RedisConnection;
  /** Prefix of every key. @default 'asp:tasks:' */
  prefix?: string;
}

/** What a new task is stored with (TaskClient fills in the defaults). */
export interface NewTask {
  id: string;
  tool: string;
  args: unknown;
  priority: Priority;
  idempotencyKey: string;
  maxAttempts: number;
  deadline: number | undefined;
  resultTtlMs: number;
  traceparent: string | undefined;
  /** The channel the terminal event is also published on (the submitter's; see results.ts). */
  notify?: string;
}

export type StartResult =
  /** Run it; `epoch` fences every later write of this attempt. */
  | { kind: 'run'; epoch: string; record: TaskRecord }
  /** Nothing to run: it ended, was cancelled, expired, is gone, or used up its attempts. */
  | { kind: 'skip'; why: 'ended' | 'gone' | 'expired' | 'exhausted' };

/** A running attempt's standing: still its own, handed to another attempt, or cancelled. */
export type Standing = 'ok' | 'lost' | 'cancelled';

/**
 * A queue write done in the same script as a record write, when the queue is a Redis stream on
 * the store's Redis: the XADD of a new task's entry, or the ack of the lease that carried it.
 */
export interface StreamPush {
  stream: string;
  entry: string;
}
export interface StreamAck {
  stream: string;
  group: string;
  id: string;
  consumer: string;
}

export type Outcome = { ok: true; result: unknown } | { ok: false; error: TaskFailure; dead: boolean };

function texts(reply: unknown, what: string): string[] {
  if (!Array.isArray(reply)) throw new TypeError(`unexpected Redis reply for ${what}`);
  return reply.map((v: unknown) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v)));
}

/**
 * Task state on Redis: one hash per task (its record), one stream per task (its events, also
 * published for live watchers), the idempotency keys, the capabilities workers registered, the
 * retries waiting for their backoff (a sorted set) and the dead letters (a sorted set). Every
 * change of a record is one script that also appends its event, fenced by the attempt's epoch.
 */
export class TaskStore {
  readonly connection: RedisConnection;
  readonly prefix: string;
  private sub: Subscriber | undefined;

  constructor(init: TaskStoreInit) {
    this.connection = init.connection;
    this.prefix = init.prefix ?? DEFAULTS.prefix;
    for (const s of SCRIPTS) this.connection.useScript(s);
  }

  key = {
    record: (id: string) => `${this.prefix}t:${id}`,
    events: (id: string) => `${this.prefix}ev:${id}`,
    idempotency: (key: string) => `${this.prefix}k:${key}`,
    capabilities: () => `${this.prefix}caps`,
    delayed: () => `${this.prefix}delayed`,
    dead: () => `${this.prefix}dead`,
  };

  private async op<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await guarded(this.connection, what, fn);
    } catch (error) {
      if (error instanceof ProtocolError && error.code === 503 && !(error instanceof TaskError)) {
        throw new TaskError('UNAVAILABLE', error.message, { cause: error });
      }
      throw error;
    }
  }

  /** Records which tools some worker serves, with their input schemas (validated at submit). */
  async registerCapabilities(tools: readonly ToolInfo[]): Promise<void> {
    if (tools.length === 0) return;
    const flat = tools.flatMap((t) => [t.name, JSON.stringify(t.inputSchema)]);
    await this.op('register capabilities', () => this.connection.client.hset(this.key.capabilities(), ...flat));
  }

  /** The input schema of a registered capability, or undefined when no worker ever offered it. */
  async capability(tool: string): Promise<JsonSchema | undefined> {
    const text = await this.op('capability', () => this.connection.client.hget(this.key.capabilities(), tool));
    if (text === null) return undefined;
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return { type: 'object' };
    return Object.fromEntries(Object.entries(value));
  }

  /** Stores a new task; with `push`, also puts its entry on that stream when it was created. */
  async create(task: NewTask, push?: StreamPush): Promise<{ id: string; created: boolean }> {
    const now = Date.now();
    const fields = [
      ['tool', task.tool],
      ['args', JSON.stringify(task.args ?? {})],
      ['priority', task.priority],
      ['state', 'queued'],
      ['key', task.idempotencyKey],
      ['attempts', 0],
      ['max', task.maxAttempts],
      ['deadline', task.deadline ?? ''],
      ['ttl', task.resultTtlMs],
      ['trace', task.traceparent ?? ''],
      ['notify', task.notify ?? ''],
      ['epoch', 0],
      ['created', now],
      ['updated', now],
    ].flat();
    const event = JSON.stringify({ type: 'queued', at: now });
    const keys = [this.key.record(task.id), this.key.events(task.id), this.key.idempotency(task.idempotencyKey)];
    const args = [task.id, ...fields.map(String), event];
    const reply = await this.op('submit', () =>
      push
        ? SUBMIT_PUSH.run(this.connection.client, [...keys, push.stream], [...args, push.entry])
        : SUBMIT.run(this.connection.client, keys, args),
    );
    const [created, id] = texts(reply, 'submit');
    return { id: id ?? task.id, created: created === '1' };
  }

  async get(id: string): Promise<TaskRecord | undefined> {
    const h = await this.op('get', () => this.connection.client.hgetall(this.key.record(id)));
    if (Object.keys(h).length === 0) return undefined;
    return parseRecord(id, new Map(Object.entries(h)));
  }

  async start(id: string, worker: string): Promise<StartResult> {
    const reply = await this.op('start', () =>
      START.run(this.connection.client, [this.key.record(id), this.key.events(id), this.key.dead()], [worker, Date.now(), id]),
    );
    const [kind, epoch, ...rest] = texts(reply, 'start');
    if (kind === 'run' && epoch !== undefined) {
      return { kind, epoch, record: parseRecord(id, pairs(rest)) };
    }
    if (kind === 'ended' || kind === 'gone' || kind === 'expired' || kind === 'exhausted') return { kind: 'skip', why: kind };
    throw new TypeError(`unexpected start reply ${String(kind)}`);
  }

  /** Appends a progress event; false when the attempt no longer holds the task. */
  async progress(id: string, epoch: string, data: unknown): Promise<boolean> {
    const reply = await this.op('progress', () =>
      PROGRESS.run(this.connection.client, [this.key.record(id), this.key.events(id)], [epoch, JSON.stringify(data ?? null), Date.now()]),
    );
    return reply === 1;
  }

  async standing(id: string, epoch: string): Promise<Standing> {
    const [state, current] = await this.op('standing', () => this.connection.client.hmget(this.key.record(id), 'state', 'epoch'));
    if (state === 'cancelled') return 'cancelled';
    return state === 'running' && current === epoch ? 'ok' : 'lost';
  }

  /**
   * Records the outcome once: false (nothing written) when the attempt lost the task. With
   * `ack`, the lease is acked in the same script (whatever the answer, as the queue's ack would).
   */
  async finish(task: { id: string; idempotencyKey: string }, epoch: string, outcome: Outcome, ack?: StreamAck): Promise<boolean> {
    const id = task.id;
    const payload = outcome.ok ? JSON.stringify(outcome.result ?? null) : JSON.stringify(outcome.error);
    const keys = [this.key.record(id), this.key.events(id), this.key.idempotency(task.idempotencyKey), this.key.dead()];
    const args = [epoch, outcome.ok ? 'succeeded' : 'failed', payload, Date.now(), id, !outcome.ok && outcome.dead ? '1' : '0'];
    return this.withAck('finish', FINISH, FINISH_ACK, keys, args, ack);
  }

  /** Schedules the next attempt after `delayMs`; false when the attempt lost the task. `ack` as for finish. */
  async retry(id: string, epoch: string, error: TaskFailure, delayMs: number, ack?: StreamAck): Promise<boolean> {
    const keys = [this.key.record(id), this.key.events(id), this.key.delayed()];
    const args = [epoch, JSON.stringify(error), Math.round(delayMs), Date.now(), id];
    return this.withAck('retry', RETRY, RETRY_ACK, keys, args, ack);
  }

  private async withAck(
    what: string,
    plain: typeof FINISH,
    fused: typeof FINISH,
    keys: string[],
    args: Array<string | number>,
    ack: StreamAck | undefined,
  ): Promise<boolean> {
    const client = this.connection.client;
    if (!ack) return (await this.op(what, () => plain.run(client, keys, args))) === 1;
    const reply = await this.op(what, () => fused.run(client, [...keys, ack.stream], [...args, ack.group, ack.id, ack.consumer]));
    return Array.isArray(reply) && reply[0] === 1;
  }

  /** Cancels a task that has not ended; false when it had. */
  async cancel(id: string): Promise<boolean> {
    const key = await this.op('cancel', () => this.connection.client.hget(this.key.record(id), 'key'));
    if (key === null) return false;
    const reply = await this.op('cancel', () =>
      CANCEL.run(
        this.connection.client,
        [this.key.record(id), this.key.events(id), this.key.idempotency(key), this.key.delayed()],
        [Date.now(), id],
      ),
    );
    return reply === 1;
  }

  /** Retries whose backoff is over, held back for `holdMs` until `settleDue` (see TAKE_DUE). */
  async takeDue(count: number, holdMs: number): Promise<QueueEntry[]> {
    const ids = texts(
      await this.op('take due', () => TAKE_DUE.run(this.connection.client, [this.key.delayed()], [Date.now(), count, holdMs])),
      'take due',
    );
    if (ids.length === 0) return [];
    const pipe = this.connection.client.pipeline();
    for (const id of ids) pipe.hmget(this.key.record(id), 'tool', 'priority', 'state');
    const rows = (await pipe.exec()) ?? [];
    const out: QueueEntry[] = [];
    const stale: string[] = [];
    ids.forEach((id, i) => {
      const value = rows[i]?.[1];
      const [tool, priority, state] = Array.isArray(value) ? value : [];
      if (typeof tool === 'string' && state === 'retrying' && (priority === 'high' || priority === 'normal' || priority === 'low')) {
        out.push({ id, tool, priority });
      } else stale.push(id);
    });
    if (stale.length > 0) await this.settleDue(stale);
    return out;
  }

  async settleDue(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.op('settle due', () => this.connection.client.zrem(this.key.delayed(), ...ids));
  }

  /** Failed tasks in the dead-letter list, oldest first. They stay until removed. */
  async deadLetters(limit = 100): Promise<TaskRecord[]> {
    const ids = await this.op('dead letters', () => this.connection.client.zrange(this.key.dead(), 0, limit - 1));
    const out: TaskRecord[] = [];
    for (const id of ids) {
      const record = await this.get(id);
      if (record) out.push(record);
    }
    return out;
  }

  /** Forgets a dead letter: its record, events and idempotency key. */
  async removeDeadLetter(id: string): Promise<boolean> {
    const record = await this.get(id);
    if (!record?.dead) return false;
    await this.op('remove dead letter', () =>
      this.connection.client
        .multi()
        .zrem(this.key.dead(), id)
        .del(this.key.record(id), this.key.events(id), this.key.idempotency(record.idempotencyKey))
        .exec(),
    );
    return true;
  }

  /** The task's events from the first, then live, ending after its terminal event. */
  watch(id: string, signal?: AbortSignal): AsyncGenerator<TaskEvent, void, undefined> {
    return watchEvents(this, this.subscriber(), id, signal);
  }

  /** The store's one subscriber connection (watchers and result waiters share it). */
  subscriber(): Subscriber {
    this.sub ??= new Subscriber(this.connection.duplicate());
    return this.sub;
  }

  async close(): Promise<void> {
    await this.sub?.close();
    this.sub = undefined;
  }
}
