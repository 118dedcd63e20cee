import type { Call } from './call.js';
import { AgentSocketError } from './errors.js';
import type { CallMetrics } from './messages.js';

/**
 * A call of ours waiting for its terminal answer. Timers and the abort listener exist only when
 * asked for: a session with no deadlines and no signals pays for neither.
 */
export class PendingCall<T = unknown, C = unknown> {
  #timers: Array<ReturnType<typeof setTimeout>> | undefined;
  #signal: AbortSignal | undefined;
  #onAbort: (() => void) | undefined;

  constructor(readonly call: Call<T, C>) {}

  addTimer(timer: ReturnType<typeof setTimeout>): void {
    this.#timers ??= [];
    this.#timers.push(timer);
  }

  /** Calls `onAbort` when `signal` aborts (at once if it already has), until cleanup(). */
  listen(signal: AbortSignal, onAbort: () => void): void {
    this.#signal = signal;
    this.#onAbort = onAbort;
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  }

  /** Clears the timers and the abort listener (the call has settled or moves elsewhere). */
  cleanup(): void {
    if (this.#timers) for (const t of this.#timers) clearTimeout(t);
    this.#timers = undefined;
    if (this.#onAbort) this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#onAbort = undefined;
    this.#signal = undefined;
  }
}

/** How an interrupt is forwarded when a caller's signal aborts (CallTable.forwardAbort). */
export interface AbortForwarding {
  /** Tells the callee to stop, with the signal's reason. */
  interrupt(reason: string): void;
  /**
   * After the interrupt, how long to wait for the callee's terminal answer before failing the call
   * locally with ABORTED; undefined: no deadline (something else notices a callee that is gone).
   */
  graceMs?: number | undefined;
  /** The ABORTED error's message. */
  unanswered?: string | undefined;
}

/**
 * The outgoing-call table: calls in flight by request key, each settled exactly once by its
 * terminal answer, its deadline (TIMEOUT), an interrupt left unanswered (ABORTED) or the end of
 * whatever carries it. Used by the session's RPC endpoint (request ids) and by hubs that route
 * calls between nodes (their own ids).
 */
export class CallTable<K, E extends PendingCall = PendingCall> {
  readonly #entries = new Map<K, E>();

  get size(): number {
    return this.#entries.size;
  }

  has(key: K): boolean {
    return this.#entries.has(key);
  }

  get(key: K): E | undefined {
    return this.#entries.get(key);
  }

  values(): IterableIterator<E> {
    return this.#entries.values();
  }

  entriesOf(): IterableIterator<[K, E]> {
    return this.#entries.entries();
  }

  /** Adds a call; with `timeoutMs` it fails locally with TIMEOUT if still here by then. */
  add(key: K, entry: E, timeoutMs?: number): void {
    this.#entries.set(key, entry);
    if (timeoutMs !== undefined) {
      entry.addTimer(
        setTimeout(() => this.settle(key, entry, new AgentSocketError('TIMEOUT', `no answer from "${entry.call.tool}" within ${timeoutMs} ms`)), timeoutMs),
      );
    }
  }

  /**
   * Forwards an abort of `signal` to the callee (once, and only while the call is here and
   * unsettled), then gives it `graceMs` to answer.
   */
  forwardAbort(key: K, entry: E, signal: AbortSignal, how: AbortForwarding): void {
    entry.listen(signal, () => {
      if (entry.call.isSettled || this.#entries.get(key) !== entry) return;
      how.interrupt(abortReason(signal));
      const grace = how.graceMs;
      if (grace === undefined) return;
      const message = how.unanswered ?? 'interrupted; no terminal answer';
      entry.addTimer(setTimeout(() => this.settle(key, entry, new AgentSocketError('ABORTED', message)), grace));
    });
  }

  /** A chunk arrived for `key`; false when no such call is waiting. */
  chunk(key: K, seq: number, data: unknown): boolean {
    const e = this.#entries.get(key);
    if (!e) return false;
    e.call.pushChunk(seq, data);
    return true;
  }

  /** The call ended with a result; the entry, or undefined when no such call was waiting. */
  complete(key: K, value: unknown, metrics: CallMetrics): E | undefined {
    const e = this.#remove(key);
    e?.call.complete(value, metrics);
    return e;
  }

  /** The call ended with an error; the entry, or undefined when no such call was waiting. */
  fail(key: K, error: unknown): E | undefined {
    const e = this.#remove(key);
    e?.call.fail(error);
    return e;
  }

  /** Fails `entry`'s call, and removes it if it is still the one under `key`. */
  settle(key: K, entry: E, error: unknown): void {
    if (this.#entries.get(key) === entry) this.#remove(key);
    entry.call.fail(error);
  }

  /** Fails every call, or those `which` selects. */
  failAll(error: unknown, which?: (entry: E, key: K) => boolean): void {
    for (const [key, e] of [...this.#entries]) {
      if (which && !which(e, key)) continue;
      this.#remove(key);
      e.call.fail(error);
    }
  }

  /** Removes (and cleans up) the calls `which` selects without settling them, to go on elsewhere. */
  take(which: (entry: E, key: K) => boolean): E[] {
    const out: E[] = [];
    for (const [key, e] of [...this.#entries]) {
      if (!which(e, key)) continue;
      this.#remove(key);
      out.push(e);
    }
    return out;
  }

  #remove(key: K): E | undefined {
    const e = this.#entries.get(key);
    if (!e) return undefined;
    this.#entries.delete(key);
    e.cleanup();
    return e;
  }
}

/** The reason an aborted signal gives, as INTERRUPT carries it. */
export function abortReason(signal: AbortSignal | undefined): string {
  const r: unknown = signal?.reason;
  if (r instanceof Error) return r.message;
  return typeof r === 'string' ? r : 'aborted by caller';
}
