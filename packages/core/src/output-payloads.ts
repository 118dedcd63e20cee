import type { CallMetrics } from './messages.js';
import type { Payload, PayloadForm } from './payloads.js';

/**
 * The payloads of a call's output, sent only by a peer that serves calls (peer-incoming.ts): apart
 * from payloads.ts so that a client which serves nothing does not load them, and so that the
 * serving chunk does not import payloads.ts (a bundler would then move payloads.ts into a chunk
 * every page loads first; docs/benchmarks.md, "Browser bundle").
 */

/** PayloadForm.LONG (payloads.ts), named here without importing its module. */
const LONG: PayloadForm = 0;

/** STREAM: one chunk of a call's output (`s d` in the lean form). */
export function streamPayload(seq: number, data: unknown, form: PayloadForm = LONG): Payload {
  return form === LONG ? { seq, data } : { s: seq, d: data };
}

/** COMPLETE: a call's result, and its metrics unless the caller did not ask for them (lean envelope: `r m`). */
export function completePayload(result: unknown, metrics: CallMetrics | undefined, form: PayloadForm = LONG): Payload {
  if (form === LONG) return metrics === undefined ? { result } : { result, metrics };
  return metrics === undefined ? { r: result } : { r: result, m: metrics };
}
