import { duplex } from './measure/duplex.js';
import type { Live, RunOutcome } from './measure/live.js';
import { roundTrip } from './measure/round-trip.js';
import { setup } from './measure/setup.js';
import { streaming } from './measure/streaming.js';
import type { Settings } from './settings.js';
import type { Variant } from './variant.js';

/** One measurement run over every variant it applies to, interleaved round by round. */
export interface Scenario {
  id: string;
  title: string;
  applies(variant: Variant): boolean;
  /** Measures once; `round` is -1 for a warm-up. */
  run(live: Live, round: number): Promise<RunOutcome>;
}

/**
 * The 1-in-flight round runs this many times as long as the others: it yields the p99, and at a
 * few thousand calls per round the 1% tail is a few dozen calls (at 250 ms, about a dozen).
 */
export const LATENCY_ROUND_FACTOR = 2;

export function scenarios(s: Settings): Scenario[] {
  const ms = (round: number, measured: number) => (round < 0 ? s.warmupMs : measured);
  return [
    {
      id: 'rt1',
      title: 'round trips, 1 in flight',
      applies: () => true,
      run: (live, round) => roundTrip(live, 1, ms(round, s.roundMs * LATENCY_ROUND_FACTOR)),
    },
    {
      id: `rt${s.concurrency}`,
      title: `round trips, ${s.concurrency} in flight`,
      applies: () => true,
      run: (live, round) => roundTrip(live, s.concurrency, ms(round, s.roundMs)),
    },
    {
      id: 'stream',
      title: 'streaming',
      applies: (v) => v.cannot.stream === undefined,
      run: (live, round) => streaming(live, s.chunksPerCall, ms(round, s.streamMs)),
    },
    {
      id: 'ask',
      title: 'full duplex (server asks the client)',
      applies: (v) => v.cannot.ask === undefined,
      run: (live, round) => duplex(live, ms(round, s.duplexMs)),
    },
    {
      id: 'setup',
      title: 'connection setup',
      applies: () => true,
      run: (live) => setup(live, Math.min(s.setupSamples, live.variant.maxSetupSamples ?? s.setupSamples)),
    },
  ];
}
