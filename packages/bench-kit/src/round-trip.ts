import { closedLoop } from './load.js';
import type { LatencySummary } from './stats.js';
import type { CallProfile } from './profiles.js';
import type { Live } from './variant.js';

/** One round of calls of one profile on one variant. */
export interface RoundTripResult {
  calls: number;
  errors: number;
  firstError: string | undefined;
  perSecond: number;
  latency: LatencySummary | undefined;
  /** Bytes on the server's side of the wire (both directions) per completed call. */
  bytesPerCall: number;
  /** CPU time of this (client) process per call, µs; includes the load loop. */
  clientCpuUsPerCall: number;
  /** CPU time of the server process per call, µs (NaN where the server is not a process of its own). */
  serverCpuUsPerCall: number;
}

/**
 * Calls of `profile` in the kit's closed loop at `concurrency` in flight for `durationMs`, with
 * the bytes the server's side of the wire moved and both processes' CPU time, per completed call.
 * The one round-trip measurement of every program (bench, compare).
 */
export async function roundTrip(live: Live, profile: CallProfile, concurrency: number, durationMs: number): Promise<RoundTripResult> {
  const { running, session } = live;
  const before = await running.counters();
  const cpu = process.cpuUsage();
  const r = await closedLoop(() => session.call(profile), { concurrency, durationMs });
  const clientCpu = process.cpuUsage(cpu);
  const after = await running.counters();
  const perCall = (n: number) => (r.calls > 0 ? n / r.calls : Number.NaN);
  return {
    calls: r.calls,
    errors: r.errors,
    firstError: r.firstError,
    perSecond: r.perSecond,
    latency: r.latency,
    bytesPerCall: perCall(after.bytes - before.bytes),
    clientCpuUsPerCall: perCall(clientCpu.user + clientCpu.system),
    serverCpuUsPerCall: perCall(after.cpuUs - before.cpuUs),
  };
}
