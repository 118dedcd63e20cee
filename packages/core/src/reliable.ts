import { DEFAULT_WINDOW_BYTES, DEFAULT_WINDOW_FRAMES } from './defaults.js';

/**
 * Session-level reliability for one direction pair: numbers outgoing RELIABLE frames, keeps
 * them until the peer acknowledges them (for replay after a resume), bounds what is kept
 * (the send window, which is also the flow control), and tracks what has been received so
 * duplicates from a replay are dropped.
 */

export interface WindowOptions {
  /** Most unacknowledged frames kept for replay before senders wait. @default 4096 */
  maxFrames?: number;
  /** Most unacknowledged bytes kept for replay before senders wait (one frame always fits). @default 64 MiB */
  maxBytes?: number;
}

type Waiting = () => void;

/** Stands in for acknowledged frames until the array is compacted. */
const RELEASED = new Uint8Array(0);
const NO_OPTIONS: WindowOptions = {};

export class ReliableChannel {
  /** Next outgoing sequence number. */
  #nextSq = 1;
  /** Highest `sq` the peer has acknowledged: whether it is reading at all (the slow-consumer check). */
  #ackedSq = 0;
  // Both created by the first record(): an idle session has nothing to replay.
  #sqs: number[] | undefined;
  #frames: Uint8Array[] | undefined;
  #head = 0;
  #bytes = 0;
  /** The limits as given (one object for all of a server's sessions), read with their defaults where used: not two fields per session. */
  readonly #limits: WindowOptions;
  #waiting: Waiting[] | undefined;
  /** Highest sequence number received from the peer. */
  lastReceived = 0;

  constructor(options: WindowOptions = NO_OPTIONS) {
    this.#limits = options;
  }

  /** The sequence number the next reliable frame must carry. Call record() with it. */
  take(): number {
    return this.#nextSq++;
  }

  /** Gives back the number just taken, for a frame that was not sent after all. */
  untake(sq: number): void {
    if (sq === this.#nextSq - 1) this.#nextSq = sq;
  }

  /** Keeps a sent frame until acknowledged. */
  record(sq: number, frame: Uint8Array): void {
    this.#sqs ??= [];
    this.#frames ??= [];
    this.#sqs.push(sq);
    this.#frames.push(frame);
    this.#bytes += frame.byteLength;
  }

  get unackedFrames(): number {
    return (this.#sqs?.length ?? 0) - this.#head;
  }

  /** Highest sequence number the peer has acknowledged so far. */
  get lastAcked(): number {
    return this.#ackedSq;
  }

  get unackedBytes(): number {
    return this.#bytes;
  }

  /** True when another frame may be sent without exceeding the window. */
  get writable(): boolean {
    const n = this.unackedFrames;
    return n === 0 || (n < (this.#limits.maxFrames ?? DEFAULT_WINDOW_FRAMES) && this.#bytes < (this.#limits.maxBytes ?? DEFAULT_WINDOW_BYTES));
  }

  /** Resolves when the window has room. */
  whenWritable(): Promise<void> {
    if (this.writable) return Promise.resolve();
    const waiting = this.#waiting ?? [];
    this.#waiting = waiting;
    return new Promise((resolve) => waiting.push(resolve));
  }

  /** The peer has everything up to and including `sq`. */
  acknowledge(sq: number): void {
    if (sq > this.#ackedSq) this.#ackedSq = sq;
    const sqs = this.#sqs;
    const frames = this.#frames;
    if (sqs && frames) {
      while (this.#head < sqs.length && (sqs[this.#head] ?? Number.POSITIVE_INFINITY) <= sq) {
        this.#bytes -= frames[this.#head]?.byteLength ?? 0;
        // Let go of the frame now, not at the next compaction: kept longer, it is promoted by the GC.
        frames[this.#head] = RELEASED;
        this.#head++;
      }
      if (this.#head === sqs.length) {
        // Everything acknowledged (the usual case): start over rather than keep released slots.
        sqs.length = 0;
        frames.length = 0;
        this.#head = 0;
      } else if (this.#head > 1024 && this.#head * 2 > sqs.length) {
        sqs.splice(0, this.#head);
        frames.splice(0, this.#head);
        this.#head = 0;
      }
    }
    if (this.#waiting && this.writable) this.releaseWaiters();
  }

  /** Frames not yet acknowledged, oldest first, for replay after a resume. */
  unacked(): Uint8Array[] {
    return this.#frames?.slice(this.#head) ?? [];
  }

  /**
   * Notes an incoming sequence number. Returns false for one already received (a replayed
   * duplicate), which the caller drops.
   */
  receive(sq: number): boolean {
    if (sq <= this.lastReceived) return false;
    this.lastReceived = sq;
    return true;
  }

  /**
   * Moves the next sequence number forward to `sq` (never back): a session restored from what
   * another process journaled continues after it (server-resume.ts `restoreTaken`).
   */
  skipTo(sq: number): void {
    if (sq > this.#nextSq) this.#nextSq = sq;
  }

  /** Releases everyone waiting for room (the session is over; their sends will fail). */
  releaseWaiters(): void {
    const waiting = this.#waiting ?? [];
    this.#waiting = undefined;
    for (const w of waiting) w();
  }
}
