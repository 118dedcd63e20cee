import { closedLoop, median } from '@agentsocket/bench/lib';
import type { Live, RunOutcome } from './live.js';

/**
 * One stream at a time on one connection, call after call for `durationMs`: chunks per second
 * over the whole round (invoke and completion included) and the median time to first chunk.
 */
export async function streaming(live: Live, chunksPerCall: number, durationMs: number): Promise<RunOutcome> {
  const stream = live.session.stream;
  if (!stream) throw new Error(`${live.variant.id} cannot stream`);
  const firsts: number[] = [];
  let chunks = 0;
  const r = await closedLoop(
    async () => {
      const started = performance.now();
      let first = true;
      chunks += await stream(chunksPerCall, () => {
        if (!first) return;
        first = false;
        firsts.push(performance.now() - started);
      });
    },
    { concurrency: 1, durationMs, recordLatency: false },
  );
  return {
    values: { chunks: r.elapsedMs > 0 ? (chunks * 1000) / r.elapsedMs : Number.NaN, ttfc: median(firsts) },
    operations: r.calls,
    errors: r.errors,
    firstError: r.firstError,
  };
}
