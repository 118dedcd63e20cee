import { backoffDelay, sleep } from './backoff.js';

/**
 * The dedup window: message IDs seen recently, bounded by count, bytes and age, behind a store
 * interface so a cluster can share it (see @agentsocket/redis). Exactly-once INVOKEs also keep
 * their outcome here, so a retried INVOKE replays the outcome instead of running twice.
 */

import { approxSize } from './approx-size.js';
import { DEDUP_PENDING_POLL_MAX_MS, DEDUP_PENDING_WAIT_MS, DEFAULT_DEDUP_MAX_BYTES, DEFAULT_DEDUP_MAX_ENTRIES, DEFAULT_DEDUP_SWEEP_MS } from './defaults.js';

export type DedupClaim =
  /** First time this key is seen: the caller runs the work, then calls complete() or release(). */
  | { status: 'new' }
  /** Another attempt is running it now. */
  | { status: 'pending' }
  /** Already done: the recorded outcome. */
  | { status: 'done'; outcome: unknown };

export interface DedupStore {
  /** Atomically claims `key` for `ttlMs`, or reports what is already recorded for it. */
  claim(key: string, ttlMs: number): Promise<DedupClaim>;
  /** Records the outcome of a claimed key, kept for `ttlMs`. */
  complete(key: string, outcome: unknown, ttlMs: number): Promise<void>;
  /** Forgets a claimed key (the work was interrupted; a retry may run it). */
  release(key: string): Promise<void>;
  close?(): Promise<void>;
}

/**
 * Claims `key`, waiting while another attempt holds it (polling with backoff, 20 ms up to 250 ms
 * apart). Resolves with 'new' (run the work, then complete() or release()) or 'done' (its recorded
 * outcome); undefined when the other attempt still holds it after about 15 s, or `signal` fired.
 */
export async function claimWaiting(
  store: DedupStore,
  key: string,
  ttlMs: number,
  signal?: AbortSignal,
): Promise<Exclude<DedupClaim, { status: 'pending' }> | undefined> {
  const giveUpAt = Date.now() + DEDUP_PENDING_WAIT_MS;
  for (let attempt = 0; ; attempt++) {
    const claim = await store.claim(key, ttlMs);
    if (claim.status !== 'pending') return claim;
    if (Date.now() >= giveUpAt) return undefined;
    await sleep(backoffDelay(attempt, { initialMs: 20, maxMs: DEDUP_PENDING_POLL_MAX_MS }), signal).catch(() => {});
    if (signal?.aborted) return undefined;
  }
}

export interface MemoryDedupOptions {
  /** Most keys remembered; the oldest are forgotten first. @default 10000 */
  maxEntries?: number;
  /** Most bytes of outcomes remembered, all together (estimated); the oldest are forgotten first. @default 64 MiB */
  maxBytes?: number;
  /** How often expired outcomes are dropped even when no exactly-once call arrives, ms. @default 30000 */
  sweepMs?: number;
  /** Clock, for tests. @default Date.now */
  now?: () => number;
}

type Entry = { expires: number; done: boolean; outcome: unknown; bytes: number };

export class MemoryDedupStore implements DedupStore {
  // A Map iterates in insertion order, which is also expiry order for equal TTLs.
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private readonly sweepMs: number;
  private readonly now: () => number;
  private bytes = 0;
  /** Armed while anything is remembered, so expired outcomes go even when no call comes. */
  private sweeper: ReturnType<typeof setTimeout> | undefined;

  constructor(options: MemoryDedupOptions = {}) {
    this.maxEntries = options.maxEntries ?? DEFAULT_DEDUP_MAX_ENTRIES;
    this.maxBytes = options.maxBytes ?? DEFAULT_DEDUP_MAX_BYTES;
    this.sweepMs = options.sweepMs ?? DEFAULT_DEDUP_SWEEP_MS;
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Estimated bytes of the outcomes remembered now. */
  get byteSize(): number {
    return this.bytes;
  }

  async claim(key: string, ttlMs: number): Promise<DedupClaim> {
    const now = this.now();
    const found = this.entries.get(key);
    if (found && found.expires > now) return found.done ? { status: 'done', outcome: found.outcome } : { status: 'pending' };
    this.forget(key);
    this.add(key, { expires: now + ttlMs, done: false, outcome: undefined, bytes: key.length });
    this.evict(now);
    return { status: 'new' };
  }

  async complete(key: string, outcome: unknown, ttlMs: number): Promise<void> {
    this.forget(key);
    this.add(key, { expires: this.now() + ttlMs, done: true, outcome, bytes: key.length + approxSize(outcome) });
    this.evict(this.now());
  }

  async release(key: string): Promise<void> {
    this.forget(key);
  }

  async close(): Promise<void> {
    if (this.sweeper) clearTimeout(this.sweeper);
    this.sweeper = undefined;
  }

  private add(key: string, entry: Entry): void {
    this.entries.set(key, entry);
    this.bytes += entry.bytes;
    if (!this.sweeper) {
      this.sweeper = setTimeout(() => this.sweep(), this.sweepMs);
      this.sweeper.unref?.();
    }
  }

  private forget(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.bytes -= e.bytes;
    this.entries.delete(key);
  }

  private sweep(): void {
    this.sweeper = undefined;
    this.evict(this.now());
    if (this.entries.size > 0) {
      this.sweeper = setTimeout(() => this.sweep(), this.sweepMs);
      this.sweeper.unref?.();
    }
  }

  /** Drops expired entries and, past either bound, the oldest; the newest entry always stays. */
  private evict(now: number): void {
    for (const [key, entry] of this.entries) {
      const over = this.entries.size > this.maxEntries || (this.bytes > this.maxBytes && this.entries.size > 1);
      if (!over && entry.expires > now) break;
      this.forget(key);
    }
  }
}
