import { AgentSocketError, type SessionJournal } from '@agentsocket/core';

/** One write to Redis: what changed since the previous batch, coalesced. */
export interface Batch {
  /** Journal writes (counted) this batch covers. */
  readonly upTo: number;
  readonly lastReceived: number | undefined;
  readonly nextSq: number | undefined;
  readonly ackedUpTo: number | undefined;
  readonly sent: Array<[number, Uint8Array]>;
  readonly ended: number[];
  readonly started: Array<[number, Uint8Array]>;
}

/** The whole state this journal has written, to write again after Redis lost it. */
export interface Snapshot {
  readonly upTo: number;
  readonly nextSq: number;
  readonly lastReceived: number;
  readonly frames: Array<[number, Uint8Array]>;
  readonly incoming: Array<[number, Uint8Array]>;
}

/** What the store does for its journals: batching per tick, retries, the registry. */
export interface JournalHost {
  schedule(journal: RedisJournal): void;
  retry(journal: RedisJournal): void;
  forget(journal: RedisJournal): void;
}

type Waiter = { upTo: number; resolve: () => void; reject: (error: Error) => void };

/**
 * The write side of one session. Writes are fire-and-forget and coalesce until the store's next
 * tick: `received` keeps the last value, an ack drops frames never written, an INVOKE that starts
 * and ends between two ticks is never written. One batch is in flight at a time, so batches apply
 * in order and a failed one is simply sent again (every write is idempotent).
 */
export class RedisJournal implements SessionJournal {
  readonly id: string;
  readonly owner: string;
  /** The session lost its connection: the idle refresher leaves its TTL alone. */
  expiring = false;
  /** When a batch last landed (ms), for the idle TTL refresher. */
  lastWrite = Date.now();
  /** Redis generation this journal last wrote to; a newer one means Redis lost the session. */
  generation: number;
  private readonly host: JournalHost;
  // Not yet sent.
  private readonly pSent = new Map<number, Uint8Array>();
  private readonly pEnded = new Set<number>();
  private readonly pStarted = new Map<number, Uint8Array>();
  private pAcked: number | undefined;
  private pReceived: number | undefined;
  private pNextSq: number | undefined;
  private pTouch = false;
  // What Redis holds once everything issued has landed.
  private readonly frames = new Map<number, Uint8Array>();
  private readonly incoming = new Map<number, Uint8Array>();
  private lastReceived = 0;
  private nextSq = 1;
  private issued = 0;
  private committed = 0;
  private inflight: Batch | undefined;
  private resend = false;
  private waiters: Waiter[] = [];
  private failure: Error | undefined;

  constructor(id: string, owner: string, generation: number, host: JournalHost) {
    this.id = id;
    this.owner = owner;
    this.generation = generation;
    this.host = host;
  }

  get failed(): boolean {
    return this.failure !== undefined;
  }

  /** Sets the mirror to what was loaded when this session was taken over (the latest load wins). */
  seed(state: { nextSq: number; lastReceived: number; frames: Iterable<{ sq: number; frame: Uint8Array }>; incoming: Iterable<{ rid: number; frame: Uint8Array }> }): void {
    this.nextSq = Math.max(this.nextSq, state.nextSq);
    this.lastReceived = Math.max(this.lastReceived, state.lastReceived);
    this.frames.clear();
    this.incoming.clear();
    for (const f of state.frames) this.frames.set(f.sq, f.frame);
    for (const i of state.incoming) this.incoming.set(i.rid, i.frame);
  }

  sent(sq: number, frame: Uint8Array): void {
    if (this.failure) return;
    this.addFrame(sq, frame);
    this.dirty();
  }

  acked(sq: number): void {
    if (this.failure || (this.pAcked !== undefined && sq <= this.pAcked)) return;
    this.pAcked = sq;
    dropUpTo(this.pSent, sq);
    dropUpTo(this.frames, sq);
    this.dirty();
  }

  received(lastReceived: number): void {
    if (this.failure || lastReceived <= this.lastReceived) return;
    this.lastReceived = lastReceived;
    this.pReceived = lastReceived;
    this.dirty();
  }

  invokeStarted(rid: number, frame: Uint8Array): void {
    if (this.failure) return;
    this.pStarted.set(rid, frame);
    this.incoming.set(rid, frame);
    this.dirty();
  }

  invokeEnded(rid: number, sq: number, frame: Uint8Array): void {
    if (this.failure) return;
    // Deleted before it was written: the HDEL still goes, in case an earlier batch wrote it.
    this.pStarted.delete(rid);
    this.pEnded.add(rid);
    this.incoming.delete(rid);
    // Pending together, so they go in one batch: one WRITE script, applied whole or not at all.
    this.addFrame(sq, frame);
    this.dirty();
  }

  /** Refreshes the keys' TTL and checks ownership, writing nothing else. */
  touch(): void {
    if (this.failure) return;
    this.pTouch = true;
    this.dirty();
  }

  flush(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.committed >= this.issued) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ upTo: this.issued, resolve, reject }));
  }

  /** The next batch to send, or undefined (nothing new, one in flight, or failed). */
  take(): Batch | undefined {
    if (this.failure) return undefined;
    if (this.inflight) {
      if (!this.resend) return undefined;
      this.resend = false;
      return this.inflight;
    }
    if (this.committed >= this.issued && !this.pTouch) return undefined;
    const batch: Batch = {
      upTo: this.issued,
      lastReceived: this.pReceived,
      nextSq: this.pNextSq,
      ackedUpTo: this.pAcked,
      sent: [...this.pSent],
      ended: [...this.pEnded],
      started: [...this.pStarted],
    };
    this.pSent.clear();
    this.pEnded.clear();
    this.pStarted.clear();
    this.pAcked = this.pReceived = this.pNextSq = undefined;
    this.pTouch = false;
    this.inflight = batch;
    return batch;
  }

  /** Everything this journal has written, for RECREATE; what was pending is covered by it. */
  snapshot(): Snapshot {
    this.pSent.clear();
    this.pEnded.clear();
    this.pStarted.clear();
    this.pAcked = this.pReceived = this.pNextSq = undefined;
    this.pTouch = false;
    return {
      upTo: this.issued,
      nextSq: this.nextSq,
      lastReceived: this.lastReceived,
      frames: [...this.frames].sort(([a], [b]) => a - b),
      incoming: [...this.incoming],
    };
  }

  /** A batch (or a snapshot) landed. */
  landed(upTo: number, generation: number): void {
    this.inflight = undefined;
    this.resend = false;
    this.generation = generation;
    this.lastWrite = Date.now();
    if (upTo > this.committed) this.committed = upTo;
    const ready = this.waiters.filter((w) => w.upTo <= this.committed);
    this.waiters = this.waiters.filter((w) => w.upTo > this.committed);
    for (const w of ready) w.resolve();
    if (this.committed < this.issued || this.pTouch) this.host.schedule(this);
  }

  /** The in-flight batch may not have landed: send it again once Redis is back. */
  again(): void {
    if (!this.inflight) return;
    this.resend = true;
    this.host.retry(this);
  }

  /** Stops for good: every flush from now on rejects with `error`. */
  fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.inflight = undefined;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(error);
    this.host.forget(this);
  }

  /** The session ended here (deleted by its owner). */
  close(): void {
    this.fail(new AgentSocketError('SESSION_CLOSED', `session ${this.id} was closed`));
  }

  private addFrame(sq: number, frame: Uint8Array): void {
    this.pSent.set(sq, frame);
    this.frames.set(sq, frame);
    if (sq + 1 > this.nextSq) {
      this.nextSq = sq + 1;
      this.pNextSq = this.nextSq;
    }
  }

  private dirty(): void {
    this.issued++;
    this.host.schedule(this);
  }
}

/** Deletes keys ≤ sq from a map filled in increasing sq order (so it can stop early). */
function dropUpTo(map: Map<number, Uint8Array>, sq: number): void {
  for (const k of map.keys()) {
    if (k > sq) break;
    map.delete(k);
  }
}
