import { closedLoop } from '@agentsocket/bench/lib';
import type { Live } from './live.js';

/**
 * The whole workload on one variant, unmeasured, so both its processes have compiled their hot
 * paths before round 1 (a cold server child takes hundreds of milliseconds to get there).
 */
export async function warmUp(live: Live, durationMs: number, chunksPerCall: number, concurrency: number): Promise<void> {
  const { echo, stream, ask } = live.session;
  const parts: Array<{ call: () => Promise<unknown>; concurrency: number }> = [
    { call: () => echo(), concurrency: 1 },
    { call: () => echo(), concurrency },
  ];
  if (stream) parts.push({ call: () => stream(chunksPerCall, () => {}), concurrency: 1 });
  if (ask) parts.push({ call: () => ask(), concurrency: 1 });
  for (const p of parts) {
    const r = await closedLoop(p.call, { concurrency: p.concurrency, durationMs: durationMs / parts.length, recordLatency: false });
    if (r.errors > 0) throw new Error(`warm-up failed: ${r.firstError ?? 'unknown error'}`);
  }
}
