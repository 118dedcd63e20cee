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
 * The claim as a Lua function, so other scripts on the same Redis can claim a key in their own
 * round trip (see RedisDedupStore.fusion). dedup_claim(key, nodes key, marker, lease ms, now):
 * nil = claimed now; otherwise the value already there. A pending marker naming a holder whose
 * heartbeat expired (or is gone) is the claim of a dead node: it is replaced.
 */
export const CLAIM_FUNCTION = `local function dedup_claim(key, nodes, marker, lease, now)
  local v = redis.call('GET', key)
  if v then
    if string.byte(v, 1) ~= ${PENDING} or string.len(v) <= ${TOKEN_END} then return v end
    local beat = redis.call('ZSCORE', nodes, string.sub(v, ${TOKEN_END + 1}))
    if beat and tonumber(beat) > now then return v end
  end
  redis.call('SET', key, marker, 'PX', lease)
  return nil
end
`;

// KEYS: the dedup key, the hub's nodes (instance → heartbeat expiry). ARGV: marker, lease.
// Reply nil = claimed now; otherwise the value already there.
const CLAIM = new LuaScript(`${LUA_NOW}${CLAIM_FUNCTION}
return dedup_claim(KEYS[1], KEYS[2], ARGV[1], ARGV[2], now) or false`);

/**
 * What a script on the same Redis needs to claim or complete a key of this store in its own
 * round trip (packages/tasks folds them into its task scripts). Not a stable API.
 */
export interface DedupFusion {
  /** Lua defining `dedup_claim(key, nodesKey, marker, leaseMs, nowMs)` → nil (claimed) or the value there. */
  readonly lua: string;
  /** The Redis key of `key`, and the hub's nodes key (dedup_claim's first two arguments). */
  keys(key: string): [string, string];
  /** The marker and lease to pass for a claim of `key` (dedup_claim's third and fourth). */
  claimArgs(ttlMs: number): [Buffer, number];
  /** The answer to a dedup_claim reply (nil as null): a claim made now is held (renewed) as claim()'s is. */
  claimed(key: string, ttlMs: number, reply: unknown): DedupClaim;
  /** The value and TTL to SET for `key`'s outcome; the key is no longer held. */
  completion(key: string, outcome: unknown, ttlMs: number): { key: string; value: Buffer; ttlMs: number };
}

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
    return this.answer(k, lease, reply);
  }

  private answer(k: string, lease: number, reply: unknown): DedupClaim {
    const value = replyBuffer(reply, 'dedup claim');
    if (value === undefined) {
      this.held.set(k, lease);
      return { status: 'new' };
    }
    if (value[0] === PENDING) return { status: 'pending' };
    if (value[0] === DONE) return { status: 'done', outcome: this.codec.decode(plain(value.subarray(1))) };
    throw new TypeError(`dedup entry ${k} is not one this package wrote`);
  }

  private encodeDone(outcome: unknown): Buffer {
    return Buffer.concat([Buffer.from([DONE]), this.codec.encode(outcome)]);
  }

  /** @internal For scripts of sibling packages on the same Redis connection (see DedupFusion). */
  fusion(): DedupFusion {
    return {
      lua: CLAIM_FUNCTION,
      keys: (key) => [this.keys.dedup(key), this.keys.nodes()],
      claimArgs: (ttlMs) => [this.marker, Math.min(ttlMs, this.leaseMs)],
      claimed: (key, ttlMs, reply) => this.answer(this.keys.dedup(key), Math.min(ttlMs, this.leaseMs), reply),
      completion: (key, outcome, ttlMs) => {
        const k = this.keys.dedup(key);
        this.held.delete(k);
        return { key: k, value: this.encodeDone(outcome), ttlMs };
      },
    };
  }

  async complete(key: string, outcome: unknown, ttlMs: number): Promise<void> {
    const k = this.keys.dedup(key);
    this.held.delete(k);
    const value = this.encodeDone(outcome);
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
