import { AgentSocketError } from './errors.js';

export interface ErrorEventLimit {
  /** `error` events passed on per interval; the rest are counted. @default 10 */
  max?: number;
  /** Length of the interval, ms. @default 10000 */
  intervalMs?: number;
}

/**
 * Passes on at most `max` errors per interval; the rest are counted and summed up in one
 * `ERRORS_SUPPRESSED` error when the interval ends (its cause is the last one), so a flood of
 * bad frames costs an application's log one line per interval, not one per frame.
 */
export class ErrorLimiter {
  private readonly max: number;
  private readonly intervalMs: number;
  private readonly emit: (error: Error) => void;
  private passed = 0;
  private suppressed = 0;
  private last: Error | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(emit: (error: Error) => void, limit: ErrorEventLimit, defaults: Required<ErrorEventLimit>) {
    this.emit = emit;
    this.max = limit.max ?? defaults.max;
    this.intervalMs = limit.intervalMs ?? defaults.intervalMs;
  }

  report(error: Error): void {
    if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.intervalMs);
      this.timer.unref?.();
    }
    if (this.passed < this.max) {
      this.passed++;
      this.emit(error);
      return;
    }
    this.suppressed++;
    this.last = error;
  }

  /** Ends the interval: the summary goes out if anything was held back. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const { suppressed, last } = this;
    this.passed = 0;
    this.suppressed = 0;
    this.last = undefined;
    if (suppressed === 0) return;
    this.emit(
      new AgentSocketError('ERRORS_SUPPRESSED', `${suppressed} more errors in ${this.intervalMs} ms were not reported one by one; the last: ${last?.message ?? ''}`, {
        cause: last,
      }),
    );
  }
}
