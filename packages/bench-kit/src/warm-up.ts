import { closedLoop } from './load.js';
import type { CallProfile } from './profiles.js';
import type { Live } from './variant.js';

/**
 * The whole workload on one variant, unmeasured, so both its processes have compiled their hot
 * paths before round 1 (a cold server child takes hundreds of milliseconds to get there).
 */
export async function warmUp(live: Live, durationMs: number, profiles: readonly CallProfile[], concurrency: number): Promise<void> {
  const { session } = live;
  const parts: Array<{ call: () => Promise<unknown>; concurrency: number }> = profiles.flatMap((p) => [
    { call: () => session.call(p), concurrency: 1 },
    { call: () => session.call(p), concurrency },
  ]);
  const { stream, ask } = session;
  if (stream) parts.push({ call: () => stream(20, () => {}), concurrency: 1 });
  if (ask) parts.push({ call: () => ask(), concurrency: 1 });
  for (const p of parts) {
    const r = await closedLoop(p.call, { concurrency: p.concurrency, durationMs: durationMs / parts.length, recordLatency: false });
    if (r.errors > 0) throw new Error(`warm-up of ${live.variant.id} failed: ${r.firstError ?? 'unknown error'}`);
  }
}
