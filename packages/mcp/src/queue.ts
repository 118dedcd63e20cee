/** An unbounded single-reader async queue: push values, end once (optionally with an error), iterate. */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private readonly items: Array<{ readonly value: T }> = []; // boxed, so undefined can be queued too
  private waiter: ((result: IteratorResult<T>) => void) | undefined;
  private failWaiter: ((error: unknown) => void) | undefined;
  private done = false;
  private failure: { error: unknown } | undefined;

  get ended(): boolean {
    return this.done;
  }

  /** Returns false once the queue has ended (the value is dropped). */
  push(value: T): boolean {
    if (this.done) return false;
    const w = this.waiter;
    if (w) {
      this.clearWaiter();
      w({ value, done: false });
    } else {
      this.items.push({ value });
    }
    return true;
  }

  /** No more values; readers finish what is queued, then see the end (or the error). */
  end(error?: unknown): void {
    if (this.done) return;
    this.done = true;
    if (error !== undefined) this.failure = { error };
    if (this.items.length > 0) return;
    const w = this.waiter;
    const f = this.failWaiter;
    this.clearWaiter();
    if (this.failure) f?.(this.failure.error);
    else w?.({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        const box = this.items.shift();
        if (box) return Promise.resolve({ value: box.value, done: false });
        if (this.done) return this.failure ? Promise.reject(this.failure.error) : Promise.resolve({ value: undefined, done: true });
        return new Promise<IteratorResult<T>>((resolve, reject) => {
          this.waiter = resolve;
          this.failWaiter = reject;
        });
      },
      return: async () => {
        this.items.length = 0;
        this.end();
        return { value: undefined, done: true };
      },
    };
  }

  private clearWaiter(): void {
    this.waiter = undefined;
    this.failWaiter = undefined;
  }
}
