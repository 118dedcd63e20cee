import { AgentSocketError } from './errors.js';
import type { CallMetrics, Delivery } from './messages.js';

export interface InvokeOptions {
  /** Aborting sends INTERRUPT; the call then settles with the peer's terminal frame. */
  signal?: AbortSignal;
  /** @default 'at-least-once' */
  delivery?: Delivery;
  /** W3C traceparent to propagate. */
  traceparent?: string;
  /** Fail the call locally if no terminal frame arrives within this many ms. */
  timeoutMs?: number;
  /** Route the call through the server to this agent id (agent-to-agent). */
  to?: string;
  /**
   * The call's message id, chosen by the caller (an idempotency key): an exactly-once call sent
   * again with the same id, after a timeout or from another session, gets the first call's
   * outcome instead of a second run (protocol.md §13). 1 to 128 characters from
   * `0-9 A-Z a-z - _ . : ~`; anything else fails the call with INVALID_OPTIONS.
   * @default a fresh ULID
   */
  messageId?: string;
  /**
   * Ask the callee for the COMPLETE's metrics. On a connection that agreed to the lean envelope
   * (protocol.md §7) they are sent only when asked; elsewhere they always come.
   * @default false
   */
  metrics?: boolean;
}

export interface CallResult<T = unknown> {
  value: T;
  /**
   * The callee's metrics. Over the lean envelope they come only for a call made with
   * `metrics: true` (InvokeOptions); a call that did not ask gets `durationMs` 0, `chunks` 0 and
   * no `cpuMs`, as protocol.md §6 defaults a COMPLETE without metrics.
   */
  metrics: CallMetrics;
}

const noop = () => {};

type Waiter = { resolve: (r: IteratorResult<unknown>) => void; reject: (e: unknown) => void };

/**
 * One outgoing request. Iterate it for STREAM chunks; `result` settles with the terminal frame
 * (COMPLETE resolves, ERROR rejects with a ProtocolError). Exactly one of the two, always.
 * `T` is the result's type and `C` a chunk's, as the caller's types claim (the wire cannot check them).
 */
export class Call<T = unknown, C = unknown> implements AsyncIterable<C> {
  readonly tool: string;
  readonly messageId: string;
  readonly delivery: Delivery;
  readonly result: Promise<CallResult<T>>;
  /** Request id on the current session (reassigned if the call is re-sent on a new session). */
  requestId = 0;
  /** Chunks received so far; a re-sent call skips chunk seq numbers below this. */
  receivedChunks = 0;

  #settled = false;
  /** Chunks not yet read; made when the first one arrives before its reader. */
  #chunks: unknown[] | undefined;
  #waiter: Waiter | undefined;
  #failure: unknown;
  #done = false;
  #resolveResult: (result: unknown) => void = noop;
  #rejectResult: (e: unknown) => void = noop;

  constructor(tool: string, messageId: string, delivery: Delivery) {
    this.tool = tool;
    this.messageId = messageId;
    this.delivery = delivery;
    this.result = new Promise<CallResult<T>>((resolve, reject) => {
      this.#resolveResult = resolve as (result: unknown) => void;
      this.#rejectResult = reject;
    });
  }

  get isSettled(): boolean {
    return this.#settled;
  }

  /** @internal Delivers a STREAM chunk. Returns false for a chunk already seen. */
  pushChunk(seq: number, data: unknown): boolean {
    if (this.#settled || seq < this.receivedChunks) return false;
    this.receivedChunks = seq + 1;
    const w = this.#waiter;
    if (w) {
      this.#waiter = undefined;
      w.resolve({ value: data, done: false });
    } else {
      this.#chunks ??= [];
      this.#chunks.push(data);
    }
    return true;
  }

  /** @internal */
  complete(value: unknown, metrics: CallMetrics): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#done = true;
    // T is the caller's claim about the tool's result type; the wire cannot check it.
    this.#resolveResult({ value, metrics } satisfies CallResult);
    const w = this.#waiter;
    if (w && !this.#chunks?.length) {
      this.#waiter = undefined;
      w.resolve({ value: undefined, done: true });
    }
  }

  /** @internal */
  fail(error: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#done = true;
    this.#failure = error instanceof Error ? error : new AgentSocketError('CONNECTION_LOST', String(error));
    // The caller may only iterate; the rejection is still seen by whoever awaits `result`.
    this.result.catch(noop);
    this.#rejectResult(this.#failure);
    const w = this.#waiter;
    if (w && !this.#chunks?.length) {
      this.#waiter = undefined;
      w.reject(this.#failure);
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<C, undefined> {
    // C is the caller's claim about the tool's chunks, like T about its result.
    return this.#chunkIterator() as AsyncIterator<C, undefined>;
  }

  #chunkIterator(): AsyncIterator<unknown, undefined> {
    return {
      next: () => {
        if (this.#chunks?.length) return Promise.resolve({ value: this.#chunks.shift(), done: false });
        if (this.#done) {
          return this.#failure === undefined ? Promise.resolve({ value: undefined, done: true }) : Promise.reject(this.#failure);
        }
        if (this.#waiter) return Promise.reject(new AgentSocketError('INVALID_OPTIONS', 'a Call has one reader at a time'));
        return new Promise((resolve, reject) => {
          this.#waiter = { resolve, reject };
        });
      },
      return: async () => {
        this.#chunks = undefined;
        return { value: undefined, done: true };
      },
    };
  }
}
