import { type DedupClaim, type JsonSchema, ProtocolError, type ToolInfo } from '@agentsocket/core';
import { WireShapeError } from '@agentsocket/core/internal';
import type { RedisConnection } from '@agentsocket/redis';
import { type DedupFusion, guarded, type LuaScript } from '@agentsocket/redis/internal';
import { DEFAULTS } from './defaults.js';
import { TaskError } from './errors.js';
import { failure, parseRecord } from './record.js';
import {
  CANCEL,
  FINISH,
  FINISH_ACK,
  FINISH_ACK_DONE,
  FINISH_DONE,
  finishNextScript,
  NO_DEDUP,
  PROGRESS,
  RETRY,
  RETRY_ACK,
  ALL as SCRIPTS,
  START,
  SUBMIT,
  SUBMIT_PUSH,
  startClaimScript,
  TAKE_DUE,
} from './store-scripts.js';
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
  | { kind: 'run'; epoch: string; record: TaskRecord; claim?: DedupClaim }
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
  /** The tool's set of registered idle consumers, and the prefix of their tokens (see REGISTER_FN). */
  idle: string;
  tokens: string;
}
export interface StreamAck {
  stream: string;
  group: string;
  id: string;
  consumer: string;
}

/** A dedup store whose writes a store script can make (see RedisDedupStore.fusion). */
export interface DedupWrite {
  readonly fusion: DedupFusion;
  /** The dedup store's key (e.g. `tasks:<idempotency key>`). */
  readonly key: string;
}

/**
 * A take of the consumer's next entries in the same script as an outcome and its ack (the
 * lease's slot handed on): `taken` gets the entries taken, or undefined when the script failed.
 * With `start`, the script also starts each entry taken as that worker (with the dedup claim when
 * `start.dedup` is the worker's fused dedup store), and each entry's `started` gives the answer.
 */
export interface StreamTake {
  keys: readonly string[];
  count: number;
  start?: TakeStart;
  /** The consumer's registration as idle, made by the script if it takes nothing (see REGISTER_FN). */
  register?: ReadonlyArray<string | number | Buffer>;
  /** `registered`: the script registered the consumer as idle. */
  taken(entries: TakenEntry[] | undefined, registered: boolean): void;
}

/** Who starts the entries a finish takes (see StreamTake). */
export interface TakeStart {
  worker: string;
  dedup?: { fusion: DedupFusion; ttlMs: number };
}

export interface TakenEntry {
  stream: string;
  id: string;
  payload: string;
  /** The start made by the same script, given the entry's task id (throws on a foreign record); absent when none was made. */
  started?: (taskId: string) => StartResult;
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
  async create(task: NewTask, push?: StreamPush, argsJson?: string): Promise<{ id: string; created: boolean }> {
    const now = String(Date.now());
    const keys = [this.key.record(task.id), this.key.events(task.id), this.key.idempotency(task.idempotencyKey)];
    const args = [
      task.id,
      'tool',
      task.tool,
      'args',
      argsJson ?? JSON.stringify(task.args ?? {}),
      'priority',
      task.priority,
      'state',
      'queued',
      'key',
      task.idempotencyKey,
      'attempts',
      '0',
      'max',
      String(task.maxAttempts),
      'deadline',
      task.deadline === undefined ? '' : String(task.deadline),
      'ttl',
      String(task.resultTtlMs),
      'trace',
      task.traceparent ?? '',
      'notify',
      task.notify ?? '',
      'epoch',
      '0',
      'created',
      now,
      'updated',
      now,
      `{"type":"queued","at":${now}}`,
    ];
    const client = this.connection.client;
    if (push) {
      keys.push(push.stream);
      args.push(push.entry, push.idle, push.tokens);
    }
    const reply = await this.op('submit', () => (push ? SUBMIT_PUSH : SUBMIT).runText(client, keys, args));
    if (!Array.isArray(reply)) throw new TypeError('unexpected Redis reply for submit');
    const id: unknown = reply[1];
    return { id: typeof id === 'string' ? id : task.id, created: reply[0] === 1 };
  }

  async get(id: string): Promise<TaskRecord | undefined> {
    const h = await this.op('get', () => this.connection.client.hgetall(this.key.record(id)));
    if (Object.keys(h).length === 0) return undefined;
    return parseRecord(id, new Map(Object.entries(h)));
  }

  /**
   * Starts an attempt. With `dedup`, the same script claims `dedup.key` in that dedup store once
   * the attempt may run and the record's idempotency key is `idempotencyKey` (result's `claim`;
   * absent when not tried).
   */
  async start(id: string, worker: string, dedup?: DedupWrite & { idempotencyKey: string; ttlMs: number }): Promise<StartResult> {
    const keys = [this.key.record(id), this.key.events(id), this.key.dead()];
    const now = Date.now();
    const args: Array<string | number | Buffer> = [worker, now, id];
    const client = this.connection.client;
    let reply: unknown;
    if (dedup) {
      const script = this.startClaim(dedup.fusion);
      reply = await this.op('start', () =>
        script.runText(client, [...keys, ...dedup.fusion.keys(dedup.key)], [...args, ...dedup.fusion.claimArgs(dedup.ttlMs), dedup.idempotencyKey]),
      );
    } else {
      reply = await this.op('start', () => START.runText(client, keys, args));
    }
    return this.started(id, worker, now, reply, dedup && { fusion: dedup.fusion, key: () => dedup.key, ttlMs: dedup.ttlMs });
  }

  /**
   * The start a submit made for a registered idle consumer (see REGISTER_FN): its reply as a
   * StartResult for `worker`, with the claim made for `dedup` (the worker's fused dedup store).
   * @internal
   */
  handedStart(id: string, worker: string, reply: unknown, dedup?: { fusion: DedupFusion; ttlMs: number }): StartResult {
    return this.started(id, worker, Date.now(), reply, dedup && { fusion: dedup.fusion, key: (r) => `tasks:${r.idempotencyKey}`, ttlMs: dedup.ttlMs });
  }

  /**
   * A start script's reply (see start_task in store-scripts.ts) as a StartResult; `dedup` turns
   * the claim's answer into the dedup store's claim (held and renewed by it when made now).
   */
  private started(
    id: string,
    worker: string,
    now: number,
    reply: unknown,
    dedup?: { fusion: DedupFusion; key: (record: TaskRecord) => string; ttlMs: number },
  ): StartResult {
    if (!Array.isArray(reply)) throw new TypeError('unexpected Redis reply for start');
    const kind: unknown = reply[0];
    if (kind === 'run') {
      const r = reply as unknown[];
      const text = (i: number): string => {
        const v = r[i];
        if (typeof v !== 'string') throw new WireShapeError(`task ${id}: unexpected start reply`);
        return v;
      };
      const int = (i: number, what: string): number => {
        const n = Number(text(i));
        if (!Number.isSafeInteger(n)) throw new WireShapeError(`task record.${what} must be an integer`);
        return n;
      };
      const priority = text(6);
      if (priority !== 'high' && priority !== 'normal' && priority !== 'low') throw new WireShapeError(`task ${id}: unknown priority ${priority}`);
      const args = text(5);
      const deadline = text(9);
      const error = text(13);
      const record: TaskRecord = {
        id,
        tool: text(4),
        args: args === '' ? undefined : JSON.parse(args),
        priority,
        state: 'running',
        idempotencyKey: text(7) || id,
        attempts: int(3, 'attempts'),
        maxAttempts: int(8, 'max'),
        deadline: deadline === '' ? undefined : int(9, 'deadline'),
        resultTtlMs: int(10, 'ttl'),
        traceparent: text(11) || undefined,
        worker,
        result: undefined,
        error: error === '' ? undefined : failure(JSON.parse(error), 'task record.error'),
        dead: false,
        createdAt: int(12, 'created'),
        updatedAt: now,
      };
      const epoch = text(1);
      // The claim's answer: 0 claimed now, 1 held or done already (a claim of its own finds which), -1 not tried.
      const answer = r[2];
      if (dedup && (answer === 0 || answer === 1)) {
        const claim: DedupClaim = answer === 0 ? dedup.fusion.claimed(dedup.key(record), dedup.ttlMs, null) : { status: 'pending' };
        return { kind, epoch, record, claim };
      }
      return { kind, epoch, record };
    }
    if (kind === 'ended' || kind === 'gone' || kind === 'expired' || kind === 'exhausted') return { kind: 'skip', why: kind };
    throw new TypeError(`unexpected start reply ${String(kind)}`);
  }

  private startScripts = new Map<string, LuaScript>();
  private finishScripts = new Map<string, LuaScript>();

  /** The finish + ack + take (+ start, + claim with `fusion`) script, made once per form. */
  private finishNext(fusion: DedupFusion | undefined, done: boolean): LuaScript {
    const lua = fusion?.lua ?? NO_DEDUP;
    const name = `${done ? 'd' : 'n'}${lua}`;
    let script = this.finishScripts.get(name);
    if (!script) {
      script = finishNextScript(lua, done);
      this.connection.useScript(script);
      this.finishScripts.set(name, script);
    }
    return script;
  }

  /** The entries a finish took, with their starts when it made them. */
  private taken(flat: unknown, start: TakeStart | undefined, now: number): TakenEntry[] {
    if (!Array.isArray(flat)) return [];
    const out: TakenEntry[] = [];
    const step = start ? 4 : 3;
    const dedup = start?.dedup && { fusion: start.dedup.fusion, key: (r: TaskRecord) => `tasks:${r.idempotencyKey}`, ttlMs: start.dedup.ttlMs };
    for (let i = 0; i + step - 1 < flat.length; i += step) {
      const [stream, id, payload] = [flat[i], flat[i + 1], flat[i + 2]];
      if (typeof stream !== 'string' || typeof id !== 'string' || typeof payload !== 'string') throw new TypeError('unexpected Redis reply for finish');
      const reply: unknown = start ? flat[i + 3] : undefined;
      if (start && Array.isArray(reply)) {
        out.push({ stream, id, payload, started: (taskId) => this.started(taskId, start.worker, now, reply, dedup) });
      } else out.push({ stream, id, payload });
    }
    return out;
  }

  private startClaim(fusion: DedupFusion): LuaScript {
    let script = this.startScripts.get(fusion.lua);
    if (!script) {
      script = startClaimScript(fusion.lua);
      this.connection.useScript(script);
      this.startScripts.set(fusion.lua, script);
    }
    return script;
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
   * With `done`, the dedup store's outcome is written first in the same script (whatever the
   * answer: the side effect happened, so a later attempt must replay it).
   */
  async finish(
    task: { id: string; idempotencyKey: string },
    epoch: string,
    outcome: Outcome,
    ack?: StreamAck,
    done?: { key: string; value: Buffer; ttlMs: number },
    next?: StreamTake,
  ): Promise<boolean> {
    const id = task.id;
    const payload = outcome.ok ? JSON.stringify(outcome.result ?? null) : JSON.stringify(outcome.error);
    const keys = [this.key.record(id), this.key.events(id), this.key.idempotency(task.idempotencyKey), this.key.dead()];
    const now = Date.now();
    const args: Array<string | number | Buffer> = [epoch, outcome.ok ? 'succeeded' : 'failed', payload, now, id, !outcome.ok && outcome.dead ? '1' : '0'];
    const client = this.connection.client;
    if (ack && next) {
      // Order of the tails: ack (read last by ack()), dedup outcome, take, start (popped first).
      keys.push(ack.stream);
      args.push(ack.group, ack.id, ack.consumer);
      if (done) {
        keys.push(done.key);
        args.push(done.value, done.ttlMs);
      }
      for (const k of next.keys) keys.push(k);
      args.push(next.keys.length, next.count);
      const start = next.start;
      const fusion = start?.dedup?.fusion;
      if (start) {
        args.push(start.worker, now, this.prefix);
        if (fusion && start.dedup) {
          const [dedupPrefix, nodes] = fusion.keys('');
          args.push(dedupPrefix, nodes, ...fusion.claimArgs(start.dedup.ttlMs), 7);
        } else args.push(3);
      } else args.push(0);
      const register = next.register ?? [];
      for (const a of register) args.push(a);
      args.push(register.length);
      let taken: TakenEntry[] | undefined;
      let registered = false;
      try {
        const script = this.finishNext(fusion, done !== undefined);
        const reply = await this.op('finish', () => script.runText(client, keys, args));
        if (!Array.isArray(reply)) throw new TypeError('unexpected Redis reply for finish');
        taken = this.taken(reply[2], start, now);
        registered = reply[3] === 1;
        return reply[0] === 1;
      } finally {
        next.taken(taken, registered);
      }
    }
    if (!done) return this.withAck('finish', FINISH, FINISH_ACK, keys, args, ack);
    if (!ack) return (await this.op('finish', () => FINISH_DONE.run(client, [...keys, done.key], [...args, done.value, done.ttlMs]))) === 1;
    const reply = await this.op('finish', () =>
      FINISH_ACK_DONE.run(client, [...keys, ack.stream, done.key], [...args, ack.group, ack.id, ack.consumer, done.value, done.ttlMs]),
    );
    return Array.isArray(reply) && reply[0] === 1;
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
    args: Array<string | number | Buffer>,
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
