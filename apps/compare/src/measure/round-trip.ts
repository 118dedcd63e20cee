import { closedLoop } from '@agentsocket/bench/lib';
import type { Live, RunOutcome } from './live.js';

/**
 * Echo round trips in apps/bench's closed loop at `concurrency` in flight. At 1 in flight it also
 * reads the bytes the server's sockets moved during the round, per completed call.
 */
export async function roundTrip(live: Live, concurrency: number, durationMs: number): Promise<RunOutcome> {
  const before = await live.running.bytes();
  const r = await closedLoop(() => live.session.echo(), { concurrency, durationMs });
  const after = await live.running.bytes();
  const values: RunOutcome['values'] =
    concurrency === 1
      ? { cps1: r.perSecond, p50: r.latency?.p50, p99: r.latency?.p99, bytes: r.calls > 0 ? (after - before) / r.calls : Number.NaN }
      : { cps32: r.perSecond };
  return { values, operations: r.calls, errors: r.errors, firstError: r.firstError };
}
