import { type RelayFrame, RelayFrameType } from '@agentsocket/function';

/** Frames kept for a follower that attaches later (as core keeps for an exactly-once replay). */
const MAX_KEPT_FRAMES = 1000;

/**
 * One function call that outlives the request that started it: an exactly-once call whose
 * session ended keeps running, and the retried INVOKE (a new session, the same message id)
 * follows it instead of calling the function again (docs/relay.md §8).
 */
export class SharedRun {
  private readonly frames: RelayFrame[] = [];
  /** Frames dropped from the front once MAX_KEPT_FRAMES were kept. */
  private dropped = 0;
  private done = false;
  private failure: unknown;
  private wake: (() => void) | undefined;
  private changed: Promise<void>;
  readonly abort = new AbortController();

  constructor() {
    this.changed = new Promise((resolve) => {
      this.wake = resolve;
    });
  }

  get finished(): boolean {
    return this.done;
  }

  /** Pumps frames from the function into the run. */
  async pump(source: AsyncIterable<RelayFrame>, onFrame: (frame: RelayFrame) => void): Promise<void> {
    try {
      for await (const frame of source) {
        if (frame.type === RelayFrameType.KEEPALIVE) continue;
        onFrame(frame);
        this.frames.push(frame);
        if (this.frames.length > MAX_KEPT_FRAMES) {
          // Chunks only: the terminal frame is always the last and is never dropped.
          this.frames.shift();
          this.dropped++;
        }
        this.notify();
      }
    } catch (error) {
      this.failure = error;
    } finally {
      this.done = true;
      this.notify();
    }
  }

  /** Every frame from the start (as far as kept), then each new one, until the run ends. */
  async *follow(signal: AbortSignal): AsyncGenerator<RelayFrame, void, undefined> {
    let next = this.dropped;
    for (;;) {
      while (next - this.dropped < this.frames.length) {
        const frame = this.frames[Math.max(0, next - this.dropped)];
        next = Math.max(next, this.dropped) + 1;
        if (frame) yield frame;
      }
      if (this.done) {
        if (this.failure !== undefined) throw this.failure;
        return;
      }
      if (signal.aborted) throw signal.reason;
      const changed = this.changed;
      await new Promise<void>((resolve) => {
        const onAbort = () => resolve();
        signal.addEventListener('abort', onAbort, { once: true });
        void changed.then(() => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        });
      });
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.changed = new Promise((resolve) => {
      this.wake = resolve;
    });
    wake?.();
  }
}
