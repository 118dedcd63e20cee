import { backoffDelay, sleep } from './backoff.js';

/**
 * The dedup window: message IDs seen recently, bounded by count and age, behind a store
 * interface so a cluster can share it (see @agentsocket/redis). Exactly-once INVOKEs also keep
 * their outcome here, so a retried INVOKE replays the outcome instead of running twice.
 */

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

/** Polls of a key another attempt holds before claimWaiting gives up: about 13–25 s in all. */
const PENDING_POLLS = 30;

/**
 * Claims `key`, waiting while another attempt holds it (polling with backoff). Resolves with
 * 'new' (run the work, then complete() or release()) or 'done' (its recorded outcome); undefined
 * when the other attempt still holds it after about 13–25 s, or `signal` fired.
 */
export async function claimWaiting(
  store: DedupStore,
  key: string,
  ttlMs: number,
  signal?: AbortSignal,
): Promise<Exclude<DedupClaim, { status: 'pending' }> | undefined> {
  for (let attempt = 0; attempt < PENDING_POLLS; attempt++) {
    const claim = await store.claim(key, ttlMs);
    if (claim.status !== 'pending') return claim;
    await sleep(backoffDelay(attempt, { initialMs: 20, maxMs: 1000 }), signal).catch(() => {});
    if (signal?.aborted) return undefined;
  }
  return undefined;
}

export interface MemoryDedupOptions {
  /** Most keys remembered; the oldest are forgotten first. @default 10000 */
  maxEntries?: number;
  /** Clock, for tests. @default Date.now */
  now?: () => number;
}

type Entry = { expires: number; done: boolean; outcome: unknown };

export class MemoryDedupStore implements DedupStore {
  // A Map iterates in insertion order, which is also expiry order for equal TTLs.
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: MemoryDedupOptions = {}) {
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  async claim(key: string, ttlMs: number): Promise<DedupClaim> {
    const now = this.now();
    const found = this.entries.get(key);
    if (found && found.expires > now) return found.done ? { status: 'done', outcome: found.outcome } : { status: 'pending' };
    this.entries.delete(key);
    this.entries.set(key, { expires: now + ttlMs, done: false, outcome: undefined });
    this.evict(now);
    return { status: 'new' };
  }

  async complete(key: string, outcome: unknown, ttlMs: number): Promise<void> {
    this.entries.delete(key);
    this.entries.set(key, { expires: this.now() + ttlMs, done: true, outcome });
    this.evict(this.now());
  }

  async release(key: string): Promise<void> {
    this.entries.delete(key);
  }

  private evict(now: number): void {
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= this.maxEntries && entry.expires > now) break;
      this.entries.delete(key);
    }
  }
}
