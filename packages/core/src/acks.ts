/**
 * Acknowledgements of received RELIABLE frames (protocol.md §11): when to send a standalone ACK,
 * when an outgoing frame carries `ack` instead (piggybacked acks), and how a carried `ack` is read.
 */

/** Acknowledge at once after this many unacknowledged reliable frames. */
export const ACK_EVERY = 32;
/**
 * With piggybacked acks agreed, a frame going out anyway carries `ack` once this many reliable
 * frames wait for one, or once the oldest has waited half the ACK delay: the standalone ACK, and
 * the wake-up it costs the other side, is then only for one-way traffic.
 */
export const PIGGYBACK_AFTER = 8;

/** Where a standalone ACK goes: the session sends one for everything received so far. */
export interface AckSender {
  sendAck(): void;
}

/**
 * The acks this end owes the peer. `received()` for each new reliable frame; an ACK goes out after
 * `ACK_EVERY` frames or `delayMs`, whichever comes first, unless outgoing frames carried the ack
 * meanwhile (`carry()`). Made by a session's first reliable frame: an idle session has none.
 */
export class Acks {
  /** Reliable frames received and not yet acknowledged. */
  #owed = 0;
  /** When the oldest of them arrived (performance.now()). */
  #since = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** An ack rode on an outgoing frame since the timer was armed: the timer waits again instead of sending. */
  #rode = false;

  readonly #sender: AckSender;
  readonly #delayMs: number;

  constructor(sender: AckSender, delayMs: number) {
    this.#sender = sender;
    this.#delayMs = delayMs;
  }

  /** Frames owed an ack. */
  get pending(): number {
    return this.#owed;
  }

  /** A new reliable frame arrived. */
  received(): void {
    if (this.#owed === 0) this.#since = performance.now();
    if (++this.#owed >= ACK_EVERY) {
      this.flush();
      return;
    }
    if (!this.#timer) {
      this.#rode = false;
      this.#timer = setTimeout(() => this.#due(), this.#delayMs);
    }
  }

  /**
   * For a frame about to go out where piggybacked acks are agreed: whether it should carry `ack`
   * now. If so the owed acks count as sent and the count is returned (give it to `uncarry` if the
   * frame is not sent after all); 0 otherwise.
   */
  carry(): number {
    const owed = this.#owed;
    if (owed === 0 || (owed < PIGGYBACK_AFTER && performance.now() - this.#since < this.#delayMs / 2)) return 0;
    this.#owed = 0;
    this.#rode = true;
    return owed;
  }

  /** The frame that was to carry the ack was not sent: the acks are owed again. */
  uncarry(owed: number): void {
    if (owed > 0) this.#owed = owed;
  }

  /** Sends the ACK now (through the sender) and disarms the timer. */
  flush(): void {
    this.stop();
    this.#owed = 0;
    this.#sender.sendAck();
  }

  /** Disarms the timer (the session is over). */
  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** The timer fired: send an ACK, unless acks have been riding on outgoing frames meanwhile. */
  #due(): void {
    if (this.#owed === 0) {
      this.#timer = undefined;
      return;
    }
    if (this.#rode && this.#timer) {
      // Traffic flows both ways: the next outgoing frame will likely carry the ack; wait once more.
      this.#rode = false;
      // A new timer, not refresh(): a browser's setTimeout gives a number, which has no refresh.
      this.#timer = setTimeout(() => this.#due(), this.#delayMs);
      return;
    }
    this.flush();
  }
}

/**
 * The `ack` a received payload carries where piggybacked acks are agreed: the number, undefined
 * when there is none (absent or null), or 'bad' when it is not an unsigned integer.
 */
export function carriedAck(payload: unknown): number | undefined | 'bad' {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const ack = (payload as Record<string, unknown>)['ack'];
  if (ack === undefined || ack === null) return undefined;
  return typeof ack === 'number' && Number.isSafeInteger(ack) && ack >= 0 ? ack : 'bad';
}
