import { closedLoop } from './load.js';
import { STREAM_PROFILE } from './profiles.js';
import { median } from './stats.js';
import type { Live } from './variant.js';

export interface StreamingResult {
  /** Tokens per second over the whole round (invoke and completion included). */
  tokensPerSecond: number;
  /** Median time from the call to its first token, ms. */
  firstTokenMs: number;
  /** Bytes on the server's side of the wire per token (both directions, the call and its completion included). */
  bytesPerToken: number;
  streams: number;
  errors: number;
  firstError: string | undefined;
}

/**
 * The streamed profile: one stream of `tokens` tokens at a time on one connection, call after
 * call for `durationMs`. The one streaming measurement of every program.
 */
export async function streaming(live: Live, durationMs: number, tokens: number = STREAM_PROFILE.tokens): Promise<StreamingResult> {
  const stream = live.session.stream;
  if (!stream) throw new Error(`${live.variant.id} cannot stream`);
  const firsts: number[] = [];
  let count = 0;
  const bytesBefore = (await live.running.counters()).bytes;
  const r = await closedLoop(
    async () => {
      const started = performance.now();
      let first = true;
      count += await stream(tokens, () => {
        if (!first) return;
        first = false;
        firsts.push(performance.now() - started);
      });
    },
    { concurrency: 1, durationMs, recordLatency: false },
  );
  const bytes = (await live.running.counters()).bytes - bytesBefore;
  return {
    tokensPerSecond: r.elapsedMs > 0 ? (count * 1000) / r.elapsedMs : Number.NaN,
    firstTokenMs: median(firsts),
    bytesPerToken: count > 0 ? bytes / count : Number.NaN,
    streams: r.calls,
    errors: r.errors,
    firstError: r.firstError,
  };
}
