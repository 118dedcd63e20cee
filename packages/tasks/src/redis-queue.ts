import { ProtocolError } from '@agentsocket/core';
import { backoffDelay, sleep } from '@agentsocket/core/internal';
import type { RedisConnection } from '@agentsocket/redis';
import { guarded, isTransient, LuaScript } from '@agentsocket/redis/internal';
import { DEFAULTS } from './defaults.js';
import { decodeEntry, encodeEntry } from './entry.js';
import { TaskError } from './errors.js';
import type { ConsumeOptions, Consumer, Lease, QueueCapabilities, QueueDepth, TaskQueue } from './queue.js';
import { readReply, replyText } from './redis-replies.js';
import type { StartResult, StreamAck, StreamPush, StreamTake } from './store.js';
import { PUSH_WAKE, REGISTER_FN } from './store-scripts.js';
import { PRIORITIES, type QueueEntry } from './task.js';

export interface RedisStreamsQueueInit {
  /** Commands go here; each consumer opens one more connection (from `duplicate()`) for blocking reads. */
  connection: RedisConnection;
  /** Prefix of every key. @default 'asp:tasks:' */
  prefix?: string;
  /** A lease not renewed for this long is delivered again (rule 5). @default 10000 */
  leaseMs?: number;
  /** Longest one blocking read waits before the consumer looks for lapsed leases again. @default 1000 */
  blockMs?: number;
}

const GROUP = 'workers';

// Rule 7: only the current holder's ack counts; a lease handed on stays pending for its new holder.
const ACK = new LuaScript(`local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1)
if #p == 0 or p[1][2] ~= ARGV[3] then return 0 end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
return 1`);

// Resets the entry's idle time (XCLAIM to itself, JUSTID so the delivery count stays).
const RENEW = new LuaScript(`local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1)
if #p == 0 or p[1][2] ~= ARGV[3] then return 0 end
redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[3], 0, ARGV[2], 'JUSTID')
return 1`);

// Rules 5 and 6 in one round trip: when ARGV[4] (lease ms) is not 0, first takes over entries
// idle that long (XAUTOCLAIM), then reads new ones in priority order until `free` are taken.
// Reply: flat {key, id, payload, claimed (1 = a lapsed lease taken over), ...}.
// Then (last ARGV: a registration and its length, 0 for none; see REGISTER_FN) registers the
// consumer as idle when it found nothing, or drops its token when it found some; with a
// registration and a message waiting in its inbox, takes nothing and replies {-1}. A reply that
// registered ends with -2.
const TAKE = new LuaScript(`${REGISTER_FN}local reg_n = tonumber(table.remove(ARGV))
local reg = {}
for i = reg_n, 1, -1 do reg[i] = table.remove(ARGV) end
if reg_n > 0 and redis.call('LLEN', reg[4]) > 0 then return {-1} end
local free = tonumber(ARGV[3])
local idle = tonumber(ARGV[4])
local out = {}
local function add(key, m, claimed)
  local payload = ''
  if m[2] then
    for i = 1, #m[2], 2 do if m[2][i] == 'e' then payload = m[2][i + 1] end end
  end
  out[#out + 1] = key
  out[#out + 1] = m[1]
  out[#out + 1] = payload
  out[#out + 1] = claimed
  free = free - 1
end
if idle > 0 then
  for _, key in ipairs(KEYS) do
    if free <= 0 then break end
    if redis.call('EXISTS', key) == 1 then
      local r = redis.call('XAUTOCLAIM', key, ARGV[1], ARGV[2], idle, '0-0', 'COUNT', free)
      for _, m in ipairs(r[2]) do add(key, m, 1) end
    end
  end
end
for _, key in ipairs(KEYS) do
  if free <= 0 then break end
  local r = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', free, 'STREAMS', key, '>')
  if r then
    for _, m in ipairs(r[1][2]) do add(key, m, 0) end
  end
end
if #out > 0 then
  if reg_n > 0 then redis.call('DEL', reg[1]) end
elseif register(reg, 0) == 1 then
  out[#out + 1] = -2
end
return out`);

interface Handle {
  readonly key: string;
  readonly id: string;
  readonly consumer: RedisConsumer;
  /** The start made by the script that took the entry (a finish handing its slot on), once. */
  started?: (() => StartResult) | undefined;
}

/** What a consumer registered as idle needs a submit to know to start a task for it (see REGISTER_FN). */
export interface DirectStart {
  worker: string;
  storePrefix: string;
  /** The worker's fused dedup store: key prefix, hub nodes key, claim marker and lease. */
  dedup: { prefix: string; nodes: string; marker: Buffer; lease: number } | undefined;
  /** The start reply a hand-off carries, as the worker's StartResult (throws on a foreign record). */
  parse(taskId: string, reply: unknown): StartResult;
}

function isHandle(value: unknown): value is Handle {
  return typeof value === 'object' && value !== null && 'consumer' in value && value.consumer instanceof RedisConsumer;
}

function unavailable(error: unknown): unknown {
  if (error instanceof ProtocolError && error.code === 503) return new TaskError('UNAVAILABLE', error.message, { cause: error });
  return error;
}

/**
 * The queue on Redis Streams: one stream per tool and priority level, one consumer group
 * ('workers') per stream, XREADGROUP to claim, XACK + XDEL to finish, XAUTOCLAIM to take over
 * entries whose holder stopped renewing. Redis must run with AOF (appendfsync always) for rule 1.
 */
export class RedisStreamsQueue implements TaskQueue {
  readonly capabilities: QueueCapabilities = { leaseExpiry: true, priorities: true };
  readonly connection: RedisConnection;
  readonly prefix: string;
  readonly leaseMs: number;
  readonly blockMs: number;
  private readonly consumers = new Set<RedisConsumer>();

  constructor(init: RedisStreamsQueueInit) {
    this.connection = init.connection;
    this.prefix = init.prefix ?? DEFAULTS.prefix;
    this.leaseMs = init.leaseMs ?? DEFAULTS.leaseMs;
    this.blockMs = init.blockMs ?? DEFAULTS.blockMs;
    for (const s of [ACK, RENEW, TAKE, PUSH_WAKE]) this.connection.useScript(s);
  }

  streamKey(tool: string, priority: string): string {
    return `${this.prefix}q:${tool}:${priority}`;
  }

  /**
   * True when `connection` reaches the same Redis server and database as this queue's: the task
   * store and worker then fuse their record writes with this queue's XADD and ack (one script).
   */
  sharesRedisWith(connection: RedisConnection): boolean {
    const a = this.connection.client.options;
    const b = connection.client.options;
    return a.host === b.host && a.port === b.port && a.path === b.path && (a.db ?? 0) === (b.db ?? 0);
  }

  /** Sorted set: the consumers of `tool` registered as idle (see REGISTER_FN in store-scripts.ts). */
  idleKey(tool: string): string {
    return `${this.prefix}idle:${tool}`;
  }

  /** Hash: a registered consumer's token (what a hand-off needs to start a task for it); lapses. */
  tokenKey(consumer: string): string {
    return `${this.prefix}w:${consumer}`;
  }

  /** List: what was handed to a consumer (entries with their starts, or 'w' to take). */
  inboxKey(consumer: string): string {
    return `${this.prefix}in:${consumer}`;
  }

  /** The XADD of `entry` and its hand-off to an idle consumer, for a store script to run (see sharesRedisWith). */
  streamPush(entry: QueueEntry): StreamPush {
    return { stream: this.streamKey(entry.tool, entry.priority), entry: encodeEntry(entry), idle: this.idleKey(entry.tool), tokens: this.tokenKey('') };
  }

  /**
   * Lets `consumer` register as idle so that a submit on this Redis starts a task for it (as
   * `direct.worker`) and hands it over in the same script. @internal (TaskWorker's)
   */
  acceptStarts(consumer: Consumer, direct: DirectStart): void {
    if (consumer instanceof RedisConsumer) consumer.direct = direct;
  }

  /** The ack of `lease`, for a store script to run (see sharesRedisWith); frees its slot now. */
  streamAck(lease: Lease): StreamAck {
    const h = lease.handle;
    if (!isHandle(h)) throw new TypeError('not a lease of this queue');
    h.consumer.settle(h.id);
    return { stream: h.key, group: GROUP, id: h.id, consumer: h.consumer.name };
  }

  /**
   * The ack of `lease` for a store script, with (when its consumer is parked with every slot
   * held and no sweep is due) a take of the consumer's next entries in the same script: the
   * lease's slot passes to what it takes, and the consumer's own loop skips its take script and
   * goes straight to its blocking read if fewer came than asked. Without `next`, as streamAck.
   */
  streamHandoff(lease: Lease): { ack: StreamAck; next?: StreamTake } {
    const h = lease.handle;
    if (!isHandle(h)) throw new TypeError('not a lease of this queue');
    const next = h.consumer.handoff(h.id);
    if (!next) return { ack: this.streamAck(lease) };
    return { ack: { stream: h.key, group: GROUP, id: h.id, consumer: h.consumer.name }, next };
  }

  /**
   * The start of the task made by the script that took `lease` (see StreamTake.start), if one
   * was made; given once. Throws WireShapeError for a record this package did not write.
   */
  startedWith(lease: Lease): StartResult | undefined {
    const h = lease.handle;
    if (!isHandle(h) || h.started === undefined) return undefined;
    const started = h.started;
    h.started = undefined;
    return started();
  }

  async push(entry: QueueEntry): Promise<void> {
    const key = this.streamKey(entry.tool, entry.priority);
    // The XADD, then a wake-up for an idle consumer waiting on its inbox (it takes the entry itself).
    const args = [encodeEntry(entry), this.idleKey(entry.tool), this.tokenKey('')];
    await guarded(this.connection, 'push', () => PUSH_WAKE.run(this.connection.client, [key], args)).catch((e: unknown) => {
      throw unavailable(e);
    });
  }

  async consume(tools: readonly string[], onLease: (lease: Lease) => void, options: ConsumeOptions): Promise<Consumer> {
    // Priority-major order: every tool's high stream before any normal one.
    const keys = PRIORITIES.flatMap((p) => tools.map((t) => this.streamKey(t, p)));
    const consumer = new RedisConsumer(this, tools, keys, onLease, options);
    this.consumers.add(consumer);
    await consumer.start();
    return consumer;
  }

  async ack(lease: Lease): Promise<boolean> {
    const h = lease.handle;
    if (!isHandle(h)) throw new TypeError('not a lease of this queue');
    h.consumer.settle(h.id);
    const reply = await guarded(this.connection, 'ack', () => ACK.run(this.connection.client, [h.key], [GROUP, h.id, h.consumer.name]));
    return reply === 1;
  }

  async renew(lease: Lease): Promise<void> {
    const h = lease.handle;
    if (!isHandle(h)) throw new TypeError('not a lease of this queue');
    await guarded(this.connection, 'renew', () => RENEW.run(this.connection.client, [h.key], [GROUP, h.id, h.consumer.name]));
  }

  async release(lease: Lease): Promise<void> {
    const h = lease.handle;
    if (!isHandle(h)) throw new TypeError('not a lease of this queue');
    // The entry stays pending under this consumer's name and lapses after leaseMs (rule 8).
    h.consumer.settle(h.id);
  }

  async depth(tool: string): Promise<QueueDepth> {
    // Acked entries are deleted (XACK + XDEL), so a stream holds exactly the waiting and the leased ones.
    const counts = await guarded(this.connection, 'depth', async () => {
      const client = this.connection.client;
      return Promise.all(
        PRIORITIES.map(async (p) => {
          const key = this.streamKey(tool, p);
          const [length, pending] = await Promise.all([client.xlen(key), client.xpending(key, GROUP).catch(() => [0])]);
          return { length, leased: Array.isArray(pending) && typeof pending[0] === 'number' ? pending[0] : 0 };
        }),
      );
    }).catch((e: unknown) => {
      throw unavailable(e);
    });
    let waiting = 0;
    let leased = 0;
    for (const c of counts) {
      waiting += Math.max(0, c.length - c.leased);
      leased += c.leased;
    }
    return { waiting, leased };
  }

  /** Stops every consumer of this queue (the connection it was given stays open). */
  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.stop()));
  }

  forget(consumer: RedisConsumer): void {
    this.consumers.delete(consumer);
  }
}

/** One consumer: a blocking-read loop on its own connection, plus a sweep for lapsed leases. */
class RedisConsumer implements Consumer {
  readonly name: string;
  private readonly queue: RedisStreamsQueue;
  private readonly keys: string[];
  private readonly onLease: (lease: Lease) => void;
  private readonly prefetch: number;
  private readonly reader: RedisConnection;
  private readonly held = new Set<string>();
  private slotFreed: (() => void) | undefined;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private groupsReady = false;
  private nextSweep = 0;
  /** The last take (a handoff's) found fewer entries than it asked for: block without taking first. */
  private skipTake = false;
  private readonly tools: readonly string[];
  /** Set by the worker: this consumer may register as idle and be handed started tasks. */
  direct: DirectStart | undefined;
  /** The last script registered this consumer as idle: wait on its inbox, not on the streams. */
  private registered = false;

  constructor(queue: RedisStreamsQueue, tools: readonly string[], keys: string[], onLease: (lease: Lease) => void, options: ConsumeOptions) {
    this.queue = queue;
    this.tools = tools;
    this.keys = keys;
    this.onLease = onLease;
    this.prefetch = Math.max(1, options.prefetch);
    this.name = options.name;
    this.reader = queue.connection.duplicate();
    this.reader.useScript(TAKE);
    // After a restart without AOF the groups are gone; make them again before reading.
    this.reader.onReady(async () => {
      this.groupsReady = false;
    });
  }

  async start(): Promise<void> {
    await this.reader.whenReady(Math.max(this.reader.offlineWaitMs, 5000));
    await this.ensureGroups();
    this.loop = this.run();
  }

  /**
   * A take for the script that acks lease `id` (see RedisStreamsQueue.streamHandoff), when this
   * consumer's loop is parked on a full set of slots and no sweep is due; undefined otherwise.
   */
  handoff(id: string): StreamTake | undefined {
    if (this.stopped || this.slotFreed === undefined || !this.held.has(id) || Date.now() >= this.nextSweep) return undefined;
    const count = this.prefetch - this.held.size + 1;
    if (count <= 0) return undefined;
    return {
      keys: this.keys,
      count,
      // The slots it does not fill, the script offers to submits (registers the consumer).
      register: this.registration(count),
      taken: (entries, registered) => {
        if (entries && !this.stopped) {
          for (const e of entries) this.deliver(e.stream, e.id, e.payload, 1, false, e.started);
        }
        // Fewer than asked: nothing else waits (as of the script), so the loop blocks at once.
        if (entries && entries.length < count) this.skipTake = true;
        this.registered = registered;
        this.settle(id);
      },
    };
  }

  /** The arguments of this consumer's registration as idle (REGISTER_FN), when it may register. */
  private registration(free: number): Array<string | number | Buffer> | undefined {
    const d = this.direct;
    if (d === undefined || this.stopped) return undefined;
    const q = this.queue;
    // Lapses a second after the consumer's longest wait on its inbox (one sweep interval).
    const ttl = Math.min(250, q.leaseMs / 4) + 1000;
    const reg: Array<string | number | Buffer> = [q.tokenKey(this.name), Math.ceil(ttl), this.name, q.inboxKey(this.name), d.worker, d.storePrefix];
    if (d.dedup) reg.push(d.dedup.prefix, d.dedup.nodes, d.dedup.marker, d.dedup.lease);
    else reg.push('', '', '', 0);
    reg.push(free);
    for (const t of this.tools) reg.push(q.idleKey(t));
    return reg;
  }

  /** One message from this consumer's inbox: a started task handed over, or 'w' (take). */
  private handed(message: string): void {
    if (message === 'w') {
      this.registered = false;
      this.skipTake = false;
      return;
    }
    let parts: unknown;
    try {
      parts = JSON.parse(message);
    } catch {
      return;
    }
    if (!Array.isArray(parts)) return;
    const [stream, id, payload, reply, left] = parts;
    if (typeof stream !== 'string' || typeof id !== 'string' || typeof payload !== 'string') return;
    const direct = this.direct;
    const started = direct && Array.isArray(reply) ? (taskId: string) => direct.parse(taskId, reply) : undefined;
    this.deliver(stream, id, payload, 1, false, started);
    // Still registered for `left` more (the last message read tells): wait on the inbox again without a take first.
    const still = typeof left === 'number' && left > 0;
    this.registered = still;
    this.skipTake = still;
  }

  /** Frees the slot of a lease this consumer handed out. */
  settle(id: string): void {
    if (!this.held.delete(id)) return;
    const wake = this.slotFreed;
    this.slotFreed = undefined;
    wake?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.queue.forget(this);
    this.slotFreed?.();
    // No more hand-offs: drop the token (what a submit already handed lapses and goes to another, rule 9).
    if (this.direct && this.queue.connection.isReady) await this.queue.connection.client.del(this.queue.tokenKey(this.name)).catch(() => {});
    // A blocking XREADGROUP would hold the loop for blockMs: drop the socket instead.
    this.reader.abandon();
    await this.loop;
  }

  private async ensureGroups(): Promise<void> {
    const client = this.reader.client;
    for (const key of this.keys) {
      try {
        await client.xgroup('CREATE', key, GROUP, '0', 'MKSTREAM');
      } catch (error) {
        if (!(error instanceof Error) || !error.message.startsWith('BUSYGROUP')) throw error;
      }
    }
    this.groupsReady = true;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        if (!this.reader.isReady) {
          await this.reader.whenReady(1000).catch(() => {});
          continue;
        }
        if (!this.groupsReady) await this.ensureGroups();
        const free = this.prefetch - this.held.size;
        if (free <= 0) {
          await new Promise<void>((resolve) => {
            this.slotFreed = resolve;
          });
          continue;
        }
        let sweep = false;
        if (Date.now() >= this.nextSweep) {
          this.nextSweep = Date.now() + Math.min(250, this.queue.leaseMs / 4);
          sweep = true;
        }
        const skip = this.skipTake && !sweep;
        this.skipTake = false;
        if (!skip && (await this.take(free, sweep))) continue;
        const block = Math.max(1, Math.min(this.queue.blockMs, this.nextSweep - Date.now()));
        if (this.registered) {
          // Registered: submits hand started tasks to the inbox (pushes elsewhere wake it), read here.
          this.registered = false;
          const popped: unknown = await this.reader.client.call(
            'BLMPOP', Math.max(0.01, block / 1000), 1, this.queue.inboxKey(this.name), 'LEFT', 'COUNT', Math.max(1, free),
          );
          if (Array.isArray(popped) && Array.isArray(popped[1]) && !this.stopped) {
            for (const message of popped[1]) if (typeof message === 'string') this.handed(message);
          }
          failures = 0;
          continue;
        }
        // Nothing waiting: block until something is pushed (one entry, from whichever stream it lands in).
        const reply = await this.reader.client.call(
          'XREADGROUP', 'GROUP', GROUP, this.name, 'COUNT', 1, 'BLOCK', block, 'STREAMS', ...this.keys, ...this.keys.map(() => '>'),
        );
        for (const [key, messages] of readReply(reply, 'XREADGROUP')) {
          for (const m of messages) this.deliver(key, m.id, m.fields.get('e'), 1, false);
        }
        failures = 0;
      } catch (error) {
        if (this.stopped) return;
        // The stream (and its group) was deleted under a blocked read: make it again.
        if (error instanceof Error && /^(NOGROUP|UNBLOCKED)/.test(error.message)) this.groupsReady = false;
        else if (!isTransient(error)) console.error('@agentsocket/tasks: Redis consumer error', error);
        await sleep(backoffDelay(failures++, { initialMs: 50, maxMs: 1000 }));
      }
    }
  }

  /**
   * Takes waiting entries, highest priority first (rule 6), after entries whose lease lapsed when
   * `sweep` (rule 5): one script. True when it found some.
   */
  private async take(free: number, sweep: boolean): Promise<boolean> {
    const args: Array<string | number | Buffer> = [GROUP, this.name, free, sweep ? this.queue.leaseMs : 0];
    // If it finds nothing, the script registers this consumer's free slots for submits to fill.
    const reg = this.registration(free);
    this.registered = false;
    if (reg) for (const a of reg) args.push(a);
    args.push(reg ? reg.length : 0);
    const reply = await TAKE.run(this.reader.client, this.keys, args);
    if (!Array.isArray(reply)) return false;
    if (reply[0] === -1) {
      // Something waits in the inbox: read it.
      this.registered = true;
      return false;
    }
    if (reply[reply.length - 1] === -2) {
      this.registered = true;
      reply.pop();
    }
    if (reply.length === 0) return false;
    for (let i = 0; i + 3 < reply.length; i += 4) {
      const key = replyText(reply[i], 'take');
      const payload = replyText(reply[i + 2], 'take');
      const claimed = reply[i + 3] === 1;
      this.deliver(key, replyText(reply[i + 1], 'take'), payload, claimed ? undefined : 1, claimed);
    }
    return true;
  }

  private deliver(
    key: string,
    id: string,
    raw: string | undefined,
    deliveries: number | undefined,
    redelivered: boolean,
    started?: (taskId: string) => StartResult,
  ): void {
    let entry: QueueEntry;
    try {
      entry = decodeEntry(raw ?? '');
    } catch {
      // Not ours to run, and never will be: drop it rather than redeliver it forever.
      void this.reader.client.xack(key, GROUP, id).catch(() => {});
      return;
    }
    if (this.held.has(id)) return;
    this.held.add(id);
    const handle: Handle = { key, id, consumer: this, started: started && (() => started(entry.id)) };
    this.onLease({ entry, handle, deliveries, redelivered });
  }
}
