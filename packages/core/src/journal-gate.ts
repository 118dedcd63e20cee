import type { SessionJournal } from './session-store.js';

/**
 * The send side of a journaled session (a server with a SessionStore): a terminal frame is held
 * back until the journal has stored it together with its request's end, and every reliable frame
 * after it too, so a request that finished is never run again on resume and sq stays in order;
 * an ACK goes out only for what the journal holds. Made by ServerSession for each journaled
 * session (SessionOptions.gate), so a client, which keeps no journal, never loads it.
 */
export class JournalGate {
  /** Reliable frames kept back until the journal holds a terminal frame among them (gate > 0), in sq order. */
  private held: Array<{ frame: Uint8Array; gate: number }> | undefined;
  /** Terminal frames held so far, and the last whose journal write has landed. */
  private gates = 0;
  private gatesOpen = 0;

  private send: (frames: Uint8Array[]) => void = () => {};
  private failed: (error: unknown) => void = () => {};

  constructor(readonly journal: SessionJournal) {}

  /**
   * The session it gates: `send` sends frames whose journal writes have landed (none while
   * detached: they stay in the replay window); `failed`: the journal refused a write.
   */
  bind(send: (frames: Uint8Array[]) => void, failed: (error: unknown) => void): void {
    this.send = send;
    this.failed = failed;
  }

  /**
   * A reliable frame numbered `sq` is to be sent: true when it may go now, false when it is held
   * (`ends`: it ends request `rid`, and goes once that end and the frame are one journal write).
   */
  sent(sq: number, frame: Uint8Array, rid: number, ends: boolean): boolean {
    const journal = this.journal;
    if (ends) {
      // One journal write: a node that dies leaves the end and its answer stored, or neither.
      journal.invokeEnded(rid, sq, frame);
      this.hold(frame);
      return false;
    }
    journal.sent(sq, frame);
    if (!this.held) return true;
    // Behind a terminal frame not yet journaled: the peer must receive sq in order.
    this.held.push({ frame, gate: 0 });
    return false;
  }

  /** Frames held now (a new transport replays the rest of the window first; release() sends these after). */
  heldFrames(): Set<Uint8Array> | undefined {
    return this.held ? new Set(this.held.map((h) => h.frame)) : undefined;
  }

  /** Runs `send` once everything journaled so far is stored (an ACK must not get ahead of the journal). */
  whenStored(send: () => void): void {
    this.journal.flush().then(send, (error: unknown) => this.failed(error));
  }

  /** The session ended: nothing held goes out any more. */
  clear(): void {
    this.held = undefined;
  }

  private hold(frame: Uint8Array): void {
    const gate = ++this.gates;
    this.held ??= [];
    this.held.push({ frame, gate });
    this.journal.flush().then(
      () => {
        if (gate > this.gatesOpen) this.gatesOpen = gate;
        this.release();
      },
      (error: unknown) => this.failed(error),
    );
  }

  /** Sends the held frames whose journal writes have landed, oldest first. */
  private release(): void {
    const held = this.held;
    if (!held) return;
    let n = 0;
    while (n < held.length && (held[n]?.gate ?? 0) <= this.gatesOpen) n++;
    const out = held.splice(0, n);
    if (held.length === 0) this.held = undefined;
    this.send(out.map((h) => h.frame));
  }
}
