/** What the handler runner needs to know about an interruption. AbortSignal has this shape too. */
export interface AbortState {
  readonly aborted: boolean;
  readonly reason: unknown;
}

/**
 * An AbortController created only when someone asks for its signal. Most invokes finish without
 * their handler ever looking at `ctx.signal`, and an AbortController is costly to make per call.
 */
export class LazyAbortController implements AbortState {
  private controller: AbortController | undefined;
  private abortedWith: { reason: unknown } | undefined;

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.abortedWith) this.controller.abort(this.abortedWith.reason);
    }
    return this.controller.signal;
  }

  get aborted(): boolean {
    return this.abortedWith !== undefined;
  }

  get reason(): unknown {
    if (!this.abortedWith) return undefined;
    // abort() without a reason gives the signal a DOMException; let the signal make it.
    return this.abortedWith.reason === undefined ? this.signal.reason : this.abortedWith.reason;
  }

  abort(reason?: unknown): void {
    if (this.abortedWith) return;
    this.abortedWith = { reason };
    this.controller?.abort(reason);
  }
}
