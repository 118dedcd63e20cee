import type { FrameSink } from './handler.js';

/** Bytes of frames a run keeps for requests that follow it later (docs/relay.md §8). */
export const MAX_KEPT_BYTES = 16 * 1024 * 1024;

/** How long a finished run stays for a request that follows it, ms. */
export const RUN_RETENTION_MS = 60_000;

/**
 * One exactly-once call on the function that outlives the request that started it: when that
 * request is dropped (its relay died, or its client's session ended) the handler keeps running,
 * its frames are kept, and a later request with the same principal and message id (the call
 * resumed through another relay) gets every frame from the first, then the rest as they come.
 * Only `POST cancel` or the deadline stop it.
 */
export class FollowedRun {
  private frames: Uint8Array[] = [];
  private bytes = 0;
  /** More than MAX_KEPT_BYTES were written: the first frames are gone, the run cannot be followed. */
  private overflowed = false;
  private finished = false;
  private readonly followers = new Set<FrameSink>();
  readonly abort = new AbortController();

  constructor(
    /** Codec of the request that started the run: every frame is in it. */
    readonly codecName: string,
    private readonly maxKeptBytes: number = MAX_KEPT_BYTES,
  ) {}

  /** Frames are wanted until the run ends, whether or not a request is reading now. */
  get live(): boolean {
    return !this.finished;
  }

  /** A request is reading the run now (else TOOL_DEF and STATE go through the callback API). */
  get attached(): boolean {
    return this.followers.size > 0;
  }

  get done(): boolean {
    return this.finished;
  }

  /** Writes a frame to every follower; `keep` is false for KEEPALIVE, which is not replayed. */
  write(bytes: Uint8Array, keep: boolean): void {
    if (keep && !this.overflowed) {
      this.frames.push(bytes);
      this.bytes += bytes.byteLength;
      if (this.bytes > this.maxKeptBytes) {
        this.overflowed = true;
        this.frames = [];
      }
    }
    for (const sink of this.followers) {
      try {
        sink.write(bytes);
      } catch {
        this.followers.delete(sink);
      }
    }
  }

  close(): void {
    this.finished = true;
    for (const sink of this.followers) {
      try {
        sink.close();
      } catch {
        // dropped meanwhile
      }
    }
    this.followers.clear();
  }

  /**
   * Sends `sink` every frame so far, then the rest as they come; returns what stops following.
   * False when the first frames were not kept (over the byte limit): the caller answers an error.
   */
  follow(sink: FrameSink): (() => void) | false {
    if (this.overflowed) return false;
    for (const bytes of this.frames) sink.write(bytes);
    if (this.finished) {
      sink.close();
      return () => {};
    }
    this.followers.add(sink);
    return () => {
      this.followers.delete(sink);
    };
  }
}
