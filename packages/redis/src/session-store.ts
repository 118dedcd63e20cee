import { AgentSocketError, DEFAULT_SESSION_TTL_MS, type SessionJournal, type SessionRecord, type SessionStore, type StoredSession } from '@agentsocket/core';
import { guarded, isTransient, type RedisConnection } from './connection.js';
import { Keys } from './keys.js';
import { type LuaScript, replyInt } from './script.js';
import { encodeRecord } from './session-record.js';
import { type Batch, type JournalHost, RedisJournal } from './session-journal.js';
import { CLAIM, CREATE, DELETE, EXPIRE, RECREATE, SESSION_SCRIPTS, WRITE } from './session-scripts.js';
import { decodeStored, recreateArgs, writeArgs } from './session-wire.js';

export interface RedisSessionStoreInit {
  connection: RedisConnection;
  /** Prefix of every key. @default 'asp:' */
  prefix?: string;
  /**
   * How long a session's keys live after the last write or refresh: a session whose node died
   * stays resumable this long. Match AgentServer's sessionTtlMs. @default 60000
   */
  ttlMs?: number;
  /** Journal failures that end a session here (fenced by another owner, refused by Redis). */
  onError?: (error: Error) => void;
}

/** Loaded sessions remembered for the journal that follows, so it can rewrite them after a Redis restart. */
const RECENT_LOADS = 1024;

/**
 * Sessions in Redis, so any node can resume a session whose node died. Journal writes are
 * coalesced per session and sent for all sessions in one pipeline per event-loop turn; fencing
 * is an owner check inside each write script. While Redis is away, journals hold their writes
 * (flush() waits, so ACKs and terminal frames wait too) and send them when it is back.
 */
export class RedisSessionStore implements SessionStore, JournalHost {
  private readonly connection: RedisConnection;
  private readonly keys: Keys;
  private readonly ttlMs: number;
  private readonly onError: ((error: Error) => void) | undefined;
  private readonly journals = new Map<string, RedisJournal>();
  private readonly records = new Map<string, SessionRecord>();
  private readonly loaded = new Map<string, StoredSession>();
  private readonly dirty = new Set<RedisJournal>();
  private readonly retrying = new Set<RedisJournal>();
  private tickScheduled = false;
  private waitingForRedis = false;
  private readonly refresher: ReturnType<typeof setInterval>;
  private readonly removeHook: () => void;
  private closed = false;

  constructor(init: RedisSessionStoreInit) {
    this.connection = init.connection;
    this.keys = new Keys(init.prefix ?? 'asp:');
    this.ttlMs = init.ttlMs ?? DEFAULT_SESSION_TTL_MS;
    this.onError = init.onError;
    for (const s of SESSION_SCRIPTS) this.connection.useScript(s);
    this.refresher = setInterval(() => this.refresh(), Math.max(50, Math.floor(this.ttlMs / 3)));
    this.refresher.unref();
    this.removeHook = this.connection.onReady(async () => {
      // Redis came back empty: every live session writes itself again now, not at its next write.
      for (const j of this.journals.values()) if (j.generation !== this.connection.generation) j.touch();
    });
  }

  async create(record: SessionRecord): Promise<void> {
    this.records.set(record.id, record);
    await this.run(CREATE, record.id, [encodeRecord(record), this.ttlMs], 'session create');
  }

  async load(id: string): Promise<StoredSession | undefined> {
    const reply = await guarded(this.connection, 'session load', () =>
      this.connection.client
        .multi()
        .hgetallBuffer(this.keys.session(id))
        .zrangeBuffer(this.keys.sessionFrames(id), 0, -1, 'WITHSCORES')
        .hgetallBuffer(this.keys.sessionIncoming(id))
        .exec(),
    );
    if (!reply) throw new AgentSocketError('SESSION_CLOSED', `loading session ${id} was aborted`);
    const [main, frames, incoming] = reply.map(([error, value]) => {
      if (error) throw error;
      return value;
    });
    const stored = decodeStored(main, frames, incoming);
    if (!stored) return undefined;
    this.records.set(id, stored.record);
    // Read again after a claim (core does so on takeover): the journal already open here mirrors it.
    const open = [...this.journals.values()].filter((j) => j.id === id);
    for (const j of open) j.seed(stored);
    if (open.length === 0) this.loaded.set(id, stored);
    for (const key of this.loaded.keys()) {
      if (this.loaded.size <= RECENT_LOADS) break;
      this.loaded.delete(key);
      if (!this.hasJournal(key)) this.records.delete(key);
    }
    return stored;
  }

  async claim(id: string, owner: string): Promise<void> {
    const ok = await this.run(CLAIM, id, [owner, this.ttlMs], 'session claim');
    if (ok !== 1) throw new AgentSocketError('SESSION_CLOSED', `session ${id} is not in the store`);
    const j = this.journals.get(journalKey(id, owner));
    if (j) j.expiring = false;
  }

  journal(id: string, owner: string): SessionJournal {
    const key = journalKey(id, owner);
    this.journals.get(key)?.close();
    const j = new RedisJournal(id, owner, this.connection.generation, this);
    const loaded = this.loaded.get(id);
    if (loaded) {
      this.loaded.delete(id);
      j.seed(loaded);
    }
    this.journals.set(key, j);
    return j;
  }

  async expire(id: string, ttlMs: number, owner: string): Promise<void> {
    const j = this.journals.get(journalKey(id, owner));
    if (j) j.expiring = true;
    await this.run(EXPIRE, id, [owner, ttlMs], 'session expire');
  }

  async delete(id: string, owner: string): Promise<void> {
    this.journals.get(journalKey(id, owner))?.close();
    if (!this.hasJournal(id)) this.records.delete(id);
    await this.run(DELETE, id, [owner], 'session delete');
  }

  /** Resolves once every write journaled here for session `id` is stored (or its journal failed). */
  async flushSession(id: string): Promise<void> {
    const open = [...this.journals.values()].filter((j) => j.id === id);
    await Promise.all(open.map((j) => j.flush().catch(() => {})));
  }

  /** Stops the TTL refresher; journals still open stop writing. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.refresher);
    this.removeHook();
    for (const j of [...this.journals.values()]) j.close();
  }

  // ---- JournalHost ----

  schedule(journal: RedisJournal): void {
    if (this.closed) return;
    this.dirty.add(journal);
    if (this.tickScheduled) return;
    this.tickScheduled = true;
    setImmediate(() => this.tick());
  }

  retry(journal: RedisJournal): void {
    this.retrying.add(journal);
    this.waitForRedis();
  }

  forget(journal: RedisJournal): void {
    const key = journalKey(journal.id, journal.owner);
    if (this.journals.get(key) === journal) this.journals.delete(key);
    this.dirty.delete(journal);
    this.retrying.delete(journal);
    if (!this.hasJournal(journal.id)) this.records.delete(journal.id);
  }

  // ---- writing ----

  private hasJournal(id: string): boolean {
    for (const j of this.journals.values()) if (j.id === id) return true;
    return false;
  }

  private async run(script: LuaScript, id: string, args: Array<string | number | Uint8Array>, what: string): Promise<number> {
    const keys = [this.keys.session(id), this.keys.sessionFrames(id), this.keys.sessionIncoming(id)];
    return replyInt(await guarded(this.connection, what, () => script.run(this.connection.client, keys, args)), what);
  }

  /** Sends one batch per dirty journal, all in one pipeline. */
  private tick(): void {
    this.tickScheduled = false;
    if (this.closed || this.dirty.size === 0) return;
    if (!this.connection.isReady) {
      for (const j of this.dirty) this.retrying.add(j);
      this.dirty.clear();
      this.waitForRedis();
      return;
    }
    const pipeline = this.connection.client.pipeline();
    const sent: Array<[RedisJournal, Batch]> = [];
    for (const j of this.dirty) {
      const batch = j.take();
      if (!batch) continue;
      pipeline.callBuffer('EVALSHA', WRITE.sha, 3, ...this.sessionKeys(j.id), ...writeArgs(j.owner, this.ttlMs, batch));
      sent.push([j, batch]);
    }
    this.dirty.clear();
    if (sent.length === 0) return;
    const generation = this.connection.generation;
    pipeline.exec().then(
      (results) => {
        sent.forEach(([j, batch], i) => {
          const [error, value] = results?.[i] ?? [new Error('pipeline aborted'), null];
          this.settle(j, batch, generation, error ?? value);
        });
      },
      (error: unknown) => {
        for (const [j, batch] of sent) this.settle(j, batch, generation, error);
      },
    );
  }

  private settle(j: RedisJournal, batch: Batch, generation: number, reply: unknown): void {
    if (reply === 1) {
      j.landed(batch.upTo, generation);
    } else if (reply === 0) {
      j.fail(new AgentSocketError('SESSION_CLOSED', `session ${j.id} is owned by another process now`));
    } else if (reply === -1) {
      if (generation !== j.generation) this.recreate(j);
      else j.fail(new AgentSocketError('SESSION_CLOSED', `session ${j.id} is no longer stored (expired or deleted)`));
    } else if (isTransient(reply) || (reply instanceof Error && reply.message.startsWith('NOSCRIPT'))) {
      j.again();
    } else {
      const error = reply instanceof Error ? reply : new TypeError('unexpected reply to a journal write');
      this.onError?.(error);
      j.fail(error);
    }
  }

  /** Redis restarted and lost the session: write all of it again, owned by this journal's owner. */
  private recreate(j: RedisJournal): void {
    const record = this.records.get(j.id);
    if (!record) {
      j.fail(new AgentSocketError('SESSION_CLOSED', `session ${j.id} was lost by Redis and its record is not known here`));
      return;
    }
    const snap = j.snapshot();
    const generation = this.connection.generation;
    RECREATE.run(this.connection.client, this.sessionKeys(j.id), recreateArgs(j.owner, this.ttlMs, record, snap)).then(
      (reply) => {
        if (reply === 1) j.landed(snap.upTo, generation);
        else j.fail(new AgentSocketError('SESSION_CLOSED', `session ${j.id} was taken over while Redis restarted`));
      },
      (error: unknown) => (isTransient(error) ? j.again() : j.fail(error instanceof Error ? error : new Error(String(error)))),
    );
  }

  private sessionKeys(id: string): [string, string, string] {
    return [this.keys.session(id), this.keys.sessionFrames(id), this.keys.sessionIncoming(id)];
  }

  /** Waits for Redis to come back, then sends again whatever was waiting. */
  private waitForRedis(): void {
    if (this.waitingForRedis || this.closed) return;
    this.waitingForRedis = true;
    this.connection.whenReady(Number.POSITIVE_INFINITY).then(
      () => {
        this.waitingForRedis = false;
        const again = [...this.retrying];
        this.retrying.clear();
        for (const j of again) this.schedule(j);
      },
      () => {
        this.waitingForRedis = false;
      },
    );
  }

  /** Keeps the TTL of idle live sessions fresh; a session whose node died then expires after ttlMs. */
  private refresh(): void {
    const idleSince = Date.now() - this.ttlMs / 3;
    for (const j of this.journals.values()) {
      if (!j.expiring && !j.failed && j.lastWrite < idleSince) j.touch();
    }
  }
}

function journalKey(id: string, owner: string): string {
  return `${id}\n${owner}`;
}
