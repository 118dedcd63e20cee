import { randomBytes } from 'node:crypto';
import { msgpackCodec } from '@agentsocket/core/internal';
import { Redis, type RedisOptions } from 'ioredis';

/** Relays of one cluster, sharing connection ownership and state through Redis (docs/relay.md §5.4). */
export interface RelayClusterOptions {
  /** The Redis the relays share: a URL or ioredis options. @default 'redis://127.0.0.1:6379' */
  redis?: string | RedisOptions;
  /** Prefix of the relay's keys and channels; the same for every relay of the cluster. */
  prefix: string;
  /** Longest a callback forwarded to the relay holding the connection waits for its answer, ms (503 after). @default 2000 */
  forwardTimeoutMs?: number;
  /** How long the connection's state, and the tools announced for it, are kept in Redis after their last change, ms. @default 3600000 */
  stateTtlMs?: number;
}

/** A callback another relay received for a connection this relay holds. */
export interface ForwardedCallback {
  cid: string;
  action: string;
  body: Record<string, unknown>;
}

/** The answer of the relay holding the connection: an HTTP status and, for an error, its message. */
export interface ForwardAnswer {
  status: number;
  message: string;
  /** Set when no relay holds the connection now (the caller tells a session that ended, 410, from one being resumed, 503). */
  noOwner?: true;
}

/** How long an owner record lives without being set again, ms: longer than any session's life. */
const OWNER_TTL_MS = 7 * 24 * 3_600_000;
/** Owners of other relays' connections remembered here (oldest forgotten first). */
const MAX_CACHED_OWNERS = 10_000;

// Deletes the key only while it still names this relay (another may have taken the connection over).
const RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

type Message = { t: 'q'; id: number; from: string; cid: string; action: string; body: Record<string, unknown> } | { t: 'a'; id: number; status: number; message: string };

/**
 * The relays' backplane: who holds each connection (`<prefix>relay:owner:<cid>`), each
 * connection's state (`<prefix>relay:state:<cid>`) and announced tools (`<prefix>relay:tools:<cid>`), and one pub/sub channel per relay
 * (`<prefix>relay:bus:<instance>`) over which a callback received by any relay is handed to the
 * relay holding its connection, and answered.
 */
export class RelayBus {
  readonly instance = randomBytes(8).toString('hex');
  private readonly codec = msgpackCodec();
  private readonly pending = new Map<number, { resolve: (answer: ForwardAnswer) => void; timer: ReturnType<typeof setTimeout> }>();
  private nextId = 1;
  /**
   * The relay last found holding each connection another relay holds. A hand-over to it goes
   * without reading the owner record again; an owner that no longer holds the connection answers
   * 421 and one that died has no subscriber, and either way the record is read afresh.
   */
  private readonly owners = new Map<string, string>();
  private readonly timeoutMs: number;
  private readonly stateTtlMs: number;

  private constructor(
    private readonly cmd: Redis,
    private readonly sub: Redis,
    private readonly prefix: string,
    options: RelayClusterOptions,
    private readonly handle: (callback: ForwardedCallback) => Promise<ForwardAnswer>,
  ) {
    this.timeoutMs = options.forwardTimeoutMs ?? 2000;
    this.stateTtlMs = options.stateTtlMs ?? 3_600_000;
  }

  static async start(options: RelayClusterOptions, handle: (callback: ForwardedCallback) => Promise<ForwardAnswer>): Promise<RelayBus> {
    const redisOptions: RedisOptions = { lazyConnect: true, maxRetriesPerRequest: 2 };
    const cmd =
      typeof options.redis === 'string' ? new Redis(options.redis, redisOptions) : new Redis({ ...redisOptions, ...(options.redis ?? {}) });
    const sub = cmd.duplicate();
    const bus = new RelayBus(cmd, sub, options.prefix, options, handle);
    try {
      await Promise.all([cmd.connect(), sub.connect()]);
      sub.on('messageBuffer', (_channel: Buffer, bytes: Buffer) => bus.onMessage(bytes));
      await sub.subscribe(bus.channel(bus.instance));
    } catch (error) {
      cmd.disconnect();
      sub.disconnect();
      throw error;
    }
    return bus;
  }

  /** Records this relay as the holder of the connection. */
  async hold(cid: string): Promise<void> {
    this.owners.delete(cid);
    await this.cmd.set(this.key('owner', cid), this.instance, 'PX', OWNER_TTL_MS);
  }

  /** Forgets this relay as the holder (unless another relay has taken the connection over). */
  async release(cid: string): Promise<void> {
    await this.cmd.eval(RELEASE, 1, this.key('owner', cid), this.instance);
  }

  /** The relay holding the connection, as the owner record says now. */
  async owner(cid: string): Promise<string | null> {
    const owner = await this.cmd.get(this.key('owner', cid));
    if (owner === null || owner === this.instance) this.owners.delete(cid);
    else this.remember(cid, owner);
    return owner;
  }

  /** The relay holding the connection as last found here, else as the owner record says. */
  async ownerCached(cid: string): Promise<string | null> {
    return this.owners.get(cid) ?? this.owner(cid);
  }

  private remember(cid: string, owner: string): void {
    if (this.owners.get(cid) === owner) return;
    this.owners.delete(cid);
    this.owners.set(cid, owner);
    if (this.owners.size > MAX_CACHED_OWNERS) this.owners.delete(this.owners.keys().next().value as string);
  }

  private forget(cid: string, owner: string): void {
    if (this.owners.get(cid) === owner) this.owners.delete(cid);
  }

  async saveState(cid: string, state: string | null): Promise<void> {
    if (state === null) await this.cmd.del(this.key('state', cid));
    else await this.cmd.set(this.key('state', cid), state, 'PX', this.stateTtlMs);
  }

  async loadState(cid: string): Promise<string | undefined> {
    return (await this.cmd.get(this.key('state', cid))) ?? undefined;
  }

  /**
   * Records tools the function announced for the connection (`<prefix>relay:tools:<cid>`, a hash
   * of tool name to its ToolInfo in MessagePack), so a relay that takes the session over serves
   * them too; kept as long as the state.
   */
  async saveTools(cid: string, tools: readonly { name: string }[], removed: readonly string[]): Promise<void> {
    const key = this.key('tools', cid);
    const multi = this.cmd.multi();
    if (removed.length > 0) multi.hdel(key, ...removed);
    for (const info of tools) multi.hset(key, info.name, Buffer.from(this.codec.encode(info)));
    multi.pexpire(key, this.stateTtlMs);
    await multi.exec();
  }

  /** The connection's announced tools as recorded (undecodable entries left out). */
  async loadTools(cid: string): Promise<unknown[]> {
    const fields = await this.cmd.hgetallBuffer(this.key('tools', cid));
    const out: unknown[] = [];
    for (const bytes of Object.values(fields)) {
      try {
        out.push(this.codec.decode(bytes));
      } catch {
        // written by something else under this prefix: not a tool
      }
    }
    return out;
  }

  async dropTools(cid: string): Promise<void> {
    await this.cmd.del(this.key('tools', cid));
  }

  /**
   * Hands a callback to the relay that holds its connection and resolves with that relay's
   * answer: 503 when no relay holds it, or the holder does not answer in time.
   */
  async forward(cid: string, action: string, body: Record<string, unknown>): Promise<ForwardAnswer> {
    // A remembered owner first; then the owner record, read afresh, at most twice.
    let cached = this.owners.get(cid);
    let fresh = 0;
    while (cached !== undefined || fresh < 2) {
      const fromCache = cached !== undefined;
      let owner: string | null;
      if (cached !== undefined) {
        owner = cached;
        cached = undefined;
      } else {
        fresh++;
        owner = await this.owner(cid);
      }
      if (owner === null || owner === this.instance) return { status: 503, message: 'no relay holds the connection now (it may be resuming); retry', noOwner: true };
      const id = this.nextId++;
      const answer = new Promise<ForwardAnswer>((resolve) => {
        const timer = setTimeout(() => {
          this.pending.delete(id);
          resolve({ status: 503, message: `the relay holding the connection did not answer within ${this.timeoutMs} ms; retry` });
        }, this.timeoutMs);
        this.pending.set(id, { resolve, timer });
      });
      const message: Message = { t: 'q', id, from: this.instance, cid, action, body };
      const receivers = await this.cmd.publish(this.channel(owner), Buffer.from(this.codec.encode(message)));
      if (receivers === 0) {
        const waiting = this.pending.get(id);
        if (waiting) clearTimeout(waiting.timer);
        this.pending.delete(id);
        this.forget(cid, owner);
        if (fromCache) continue;
        return { status: 503, message: 'the relay holding the connection is unreachable (it may have died; the client will resume elsewhere); retry' };
      }
      const got = await answer;
      // 421: that relay no longer holds it (the connection moved meanwhile): ask again.
      if (got.status !== 421) return got;
      this.forget(cid, owner);
    }
    return { status: 503, message: 'the connection is moving between relays; retry' };
  }

  async close(): Promise<void> {
    for (const { resolve, timer } of this.pending.values()) {
      clearTimeout(timer);
      resolve({ status: 503, message: 'the relay is closing' });
    }
    this.pending.clear();
    this.sub.disconnect();
    await this.cmd.quit().catch(() => this.cmd.disconnect());
  }

  private onMessage(bytes: Buffer): void {
    let message: Message;
    try {
      message = this.codec.decode(bytes) as Message;
    } catch {
      return;
    }
    if (message.t === 'a') {
      const waiting = this.pending.get(message.id);
      if (!waiting) return;
      this.pending.delete(message.id);
      clearTimeout(waiting.timer);
      waiting.resolve({ status: message.status, message: message.message });
      return;
    }
    void this.handle({ cid: message.cid, action: message.action, body: message.body })
      .catch((error: unknown) => ({ status: 500, message: error instanceof Error ? error.message : String(error) }))
      .then((answer) => {
        const reply: Message = { t: 'a', id: message.id, status: answer.status, message: answer.message };
        return this.cmd.publish(this.channel(message.from), Buffer.from(this.codec.encode(reply)));
      })
      .catch(() => {});
  }

  private channel(instance: string): string {
    return `${this.prefix}relay:bus:${instance}`;
  }

  private key(kind: 'owner' | 'state' | 'tools', cid: string): string {
    return `${this.prefix}relay:${kind}:${cid}`;
  }
}
