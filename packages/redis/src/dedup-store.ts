import { randomBytes } from 'node:crypto';
import type { Codec, DedupClaim, DedupStore } from '@agentsocket/core';
import { msgpackCodec } from '@agentsocket/core/internal';
import { guarded, isTransient, type RedisConnection } from './connection.js';
import { Keys } from './keys.js';
import { LUA_NOW, LuaScript, replyBuffer } from './script.js';

export interface RedisDedupStoreInit {
  connection: RedisConnection;
  /** Prefix of every key. @default 'asp:' */
  prefix?: string;
  /**
   * How long a claim survives without its holder: the holder renews it while the work runs, so a
   * claim of a process that died lapses after this long and a retry may run the work. @default 10000
   */
  leaseMs?: number;
  /**
   * This node's hub instance (`RedisHub.instance`; redisCluster passes it). A claim then names
   * its holder, and a claim whose holder's hub heartbeat has expired (the node died) is taken
   * over by the next claim at once, without waiting out `leaseMs`. Without it, only the lease
   * frees the claim of a dead holder. @default none
   */
  holder?: string;
  /** Outcomes that could not be stored (Redis away for longer than their TTL). */
  onError?: (error: Error) => void;
}

const PENDING = 0;
const DONE = 1;

/** Bytes of a pending marker before the holder's hub instance: the tag and a random token. */
const TOKEN_END = 13;

/*
 * KEYS: the dedup key, the hub's nodes (instance → heartbeat expiry). ARGV: marker, lease.
 * Reply nil = claimed now; otherwise the value already there. A pending marker naming a holder
 * whose heartbeat expired (or is gone) is the claim of a dead node: it is replaced.
 */
const CLAIM = new LuaScript(`${LUA_NOW}
local v = redis.call('GET', KEYS[1])
if v then
  if string.byte(v, 1) ~= ${PENDING} or string.len(v) <= ${TOKEN_END} then return v end
  local beat = redis.call('ZSCORE', KEYS[2], string.sub(v, ${TOKEN_END + 1}))
  if beat and tonumber(beat) > now then return v end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false`);

// Only the holder's own pending marker is renewed or released, never an outcome.
const RENEW = new LuaScript(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`);
const RELEASE = new LuaScript(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`);

/**
 * Exactly-once bookkeeping shared by every node: a claim is one atomic script (GET, else SET
 * with a TTL), an outcome is a MessagePack value, so binary results survive. Values are one tag
 * byte (pending/done) then the pending holder's token or the encoded outcome.
 */
export class RedisDedupStore implements DedupStore {
  private readonly connection: RedisConnection;
  private readonly keys: Keys;
  private readonly leaseMs: number;
  private readonly codec: Codec = msgpackCodec();
  private readonly marker: Buffer;
  private readonly held = new Map<string, number>();
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly onError: ((error: Error) => void) | undefined;
  private closed = false;

  constructor(init: RedisDedupStoreInit) {
    this.connection = init.connection;
    this.keys = new Keys(init.prefix ?? 'asp:');
    this.leaseMs = init.leaseMs ?? 10_000;
    this.onError = init.onError;
    this.marker = Buffer.concat([Buffer.from([PENDING]), randomBytes(TOKEN_END - 1), Buffer.from(init.holder ?? '')]);
    for (const s of [CLAIM, RENEW, RELEASE]) this.connection.useScript(s);
    this.timer = setInterval(() => this.renew(), Math.max(50, Math.floor(this.leaseMs / 3)));
    this.timer.unref();
  }

  /**
   * Never rejects: while Redis is unreachable (or holds something unreadable) it answers
   * 'pending', so core's peer keeps polling with backoff and answers 503 if that lasts.
   */
  async claim(key: string, ttlMs: number): Promise<DedupClaim> {
    try {
      return await this.tryClaim(key, ttlMs);
    } catch (error) {
      this.onError?.(error instanceof Error ? error : new Error(String(error)));
      return { status: 'pending' };
    }
  }

  private async tryClaim(key: string, ttlMs: number): Promise<DedupClaim> {
    const k = this.keys.dedup(key);
    const lease = Math.min(ttlMs, this.leaseMs);
    const reply = await guarded(this.connection, 'dedup claim', () => CLAIM.run(this.connection.client, [k, this.keys.nodes()], [this.marker, lease]));
    const value = replyBuffer(reply, 'dedup claim');
    if (value === undefined) {
      this.held.set(k, lease);
      return { status: 'new' };
    }
    if (value[0] === PENDING) return { status: 'pending' };
    if (value[0] === DONE) return { status: 'done', outcome: this.codec.decode(plain(value.subarray(1))) };
    throw new TypeError(`dedup entry ${key} is not one this package wrote`);
  }

  async complete(key: string, outcome: unknown, ttlMs: number): Promise<void> {
    const k = this.keys.dedup(key);
    this.held.delete(k);
    const value = Buffer.concat([Buffer.from([DONE]), this.codec.encode(outcome)]);
    const deadline = Date.now() + ttlMs;
    // Held through a Redis outage: the outcome is what makes a retry safe, so keep trying.
    for (;;) {
      try {
        if (!this.connection.isReady) await this.connection.whenReady(Math.max(0, deadline - Date.now()));
        await this.connection.client.set(k, value, 'PX', ttlMs);
        return;
      } catch (error) {
        if (this.closed || !isTransient(error) || Date.now() >= deadline) {
          this.onError?.(new Error(`could not record the outcome of ${key}; a retry may run it again`, { cause: error }));
          return;
        }
      }
    }
  }

  async release(key: string): Promise<void> {
    const k = this.keys.dedup(key);
    this.held.delete(k);
    // Best effort: if it fails, the lease lapses by itself.
    await guarded(this.connection, 'dedup release', () => RELEASE.run(this.connection.client, [k], [this.marker])).catch(() => {});
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
  }

  private renew(): void {
    if (this.held.size === 0 || !this.connection.isReady) return;
    for (const [k, lease] of this.held) {
      RENEW.run(this.connection.client, [k], [this.marker, lease]).catch(() => {});
    }
  }
}

/** A plain Uint8Array view, so decoded binary values come back as Uint8Array, not Buffer. */
export function plain(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
