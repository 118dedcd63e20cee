import { type LatencySummary, latencySummary, median } from './stats.js';

export interface LoadOptions {
  /** Calls kept in flight at once (closed loop: a new call starts when one ends). */
  concurrency: number;
  /** How long to keep starting calls, ms. Calls in flight at the deadline are waited for and counted. */
  durationMs: number;
  /** Keep each call's round-trip time. @default true */
  recordLatency?: boolean;
  /**
   * A call still unanswered this long after it started counts as an error ("stalled") and the
   * loop ends without it, so a variant that loses a call shows up in the report instead of
   * hanging the whole run. Checked once a second, outside the calls' path. @default 30000
   */
  stallMs?: number;
}

export interface LoadResult {
  calls: number;
  errors: number;
  /** The first error seen, for the report. */
  firstError: string | undefined;
  elapsedMs: number;
  /** Completed calls per second. */
  perSecond: number;
  latency: LatencySummary | undefined;
}

/**
 * Drives `call` in a closed loop. Every variant gets exactly this loop, so the driver's own cost
 * (one promise per call, a clock read on each side) is the same for all of them.
 */
export async function closedLoop(call: () => Promise<unknown>, options: LoadOptions): Promise<LoadResult> {
  const record = options.recordLatency ?? true;
  let samples = new Float64Array(record ? 4096 : 0);
  let calls = 0;
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const deadline = started + options.durationMs;
  const stallMs = options.stallMs ?? 30_000;
  /** When each worker's call in flight started (NaN: none). */
  const inFlightSince = new Float64Array(options.concurrency).fill(Number.NaN);
  let abandoned = false;

  const worker = async (index: number): Promise<void> => {
    while (!abandoned && performance.now() < deadline) {
      const t0 = performance.now();
      inFlightSince[index] = t0;
      try {
        await call();
      } catch (error) {
        errors++;
        firstError ??= error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        return; // a broken variant stops its worker rather than spinning on failures
      } finally {
        inFlightSince[index] = Number.NaN;
      }
      if (record) {
        if (calls === samples.length) {
          const grown = new Float64Array(samples.length * 2);
          grown.set(samples);
          samples = grown;
        }
        samples[calls] = performance.now() - t0;
      }
      calls++;
    }
  };

  let watchdog: ReturnType<typeof setInterval> | undefined;
  const stalled = new Promise<void>((resolve) => {
    watchdog = setInterval(() => {
      const now = performance.now();
      const stuck = inFlightSince.filter((since) => now - since > stallMs).length;
      if (stuck === 0) return;
      errors += stuck;
      abandoned = true;
      firstError ??= `stalled: ${stuck} call(s) unanswered after ${Math.round(stallMs / 1000)} s`;
      resolve();
    }, Math.min(1000, stallMs));
  });
  try {
    await Promise.race([Promise.all(Array.from({ length: options.concurrency }, (_, i) => worker(i))), stalled]);
  } finally {
    clearInterval(watchdog);
  }
  const elapsedMs = performance.now() - started;
  return {
    calls,
    errors,
    firstError,
    elapsedMs,
    perSecond: elapsedMs > 0 ? (calls * 1000) / elapsedMs : 0,
    latency: record ? latencySummary(samples.subarray(0, calls)) : undefined,
  };
}

/**
 * Times `op` for about `durationMs`, split into `slices` equal slices (each runs batches of
 * `batch` ops; the clock is read once per batch). Returns the fastest slice as ns per op, which
 * is the op's own cost even when another process takes the CPU for part of the time, and the
 * median slice beside it.
 */
export function timeOps(
  op: () => void,
  durationMs: number,
  options: { batch?: number; slices?: number } = {},
): { nsPerOp: number; medianNsPerOp: number; ops: number } {
  const batch = options.batch ?? 1000;
  const slices = Math.max(1, options.slices ?? 10);
  const sliceMs = durationMs / slices;
  const perSlice: number[] = [];
  let ops = 0;
  for (let s = 0; s < slices; s++) {
    let n = 0;
    const started = performance.now();
    let now = started;
    do {
      for (let i = 0; i < batch; i++) op();
      n += batch;
      now = performance.now();
    } while (now - started < sliceMs);
    perSlice.push(((now - started) * 1e6) / n);
    ops += n;
  }
  return { nsPerOp: Math.min(...perSlice), medianNsPerOp: median(perSlice), ops };
}
