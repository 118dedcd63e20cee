import { claimWaiting, type DedupStore } from './dedup.js';
import { ProtocolError } from './errors.js';
import * as ErrorCode from './error-code.js';

export interface IdempotentOptions {
  /** How long the recorded result is kept (a repeat after that runs the effect again). @default 300000 */
  ttlMs?: number;
  /** Stops waiting for another attempt that holds the key (the wait then rejects with its reason). */
  signal?: AbortSignal;
}

/**
 * Runs `effect` once per `key` among every process sharing `store`, and gives every later call
 * with that key the recorded result instead (while it is kept, `ttlMs`). A call that finds the key
 * held by an attempt still running waits for it (about 15 s at most, then ERROR 503). If
 * `effect` throws, nothing is recorded and the key is free again. The result must survive the
 * store (Redis keeps MessagePack: plain data and bytes).
 *
 * The one window left: a process that dies while `effect` runs (claimed, not yet recorded). Its
 * claim is taken over once it is known dead (a Redis dedup store with a hub: its heartbeat
 * expired; otherwise its lease lapsed), and the next attempt runs `effect` again. An external
 * system that takes an idempotency key closes that window too: pass it `key`.
 */
export async function idempotent<T>(store: DedupStore, key: string, effect: () => T | Promise<T>, options: IdempotentOptions = {}): Promise<T> {
  const ttlMs = options.ttlMs ?? 300_000;
  const signal = options.signal;
  const claim = await claimWaiting(store, key, ttlMs, signal);
  if (!claim) {
    if (signal?.aborted) throw signal.reason;
    throw new ProtocolError(ErrorCode.UNAVAILABLE, `the effect "${key}" is still running elsewhere; retry later`);
  }
  if (claim.status === 'done') return recorded<T>(claim.outcome, key);
  let value: T;
  try {
    value = await effect();
  } catch (error) {
    await store.release(key).catch(() => {});
    throw error;
  }
  await store.complete(key, { effect: value }, ttlMs);
  return value;
}

function recorded<T>(outcome: unknown, key: string): T {
  if (typeof outcome !== 'object' || outcome === null || !('effect' in outcome)) {
    throw new ProtocolError(ErrorCode.UNAVAILABLE, `the dedup store holds something else under "${key}"`);
  }
  // What this function stored for `key`: the effect's own result, as the store gave it back.
  return outcome.effect as T;
}
