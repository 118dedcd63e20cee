import type { Live, Variant } from '@agentsocket/bench-kit';
import { duplex } from './measure/duplex.js';
import type { RunOutcome } from './measure/live.js';
import { setup } from './measure/setup.js';
import type { Settings } from './settings.js';

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

/**
 * What only the comparison measures; the round trips (every profile) and the streamed profile
 * are the kit's scenarios, run before these (see run.ts).
 */
export function scenarios(s: Settings): Scenario[] {
  const ms = (round: number, measured: number) => (round < 0 ? s.warmupMs : measured);
  return [
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
