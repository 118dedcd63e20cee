import { interleave } from './rounds.js';
import { type CallProfile, type CallProfileId, STREAM_PROFILE } from './profiles.js';
import { type RoundTripResult, roundTrip } from './round-trip.js';
import { collectGarbage } from './rounds.js';
import { type StreamingResult, streaming } from './streaming.js';
import { describeError, type Live } from './variant.js';

/** How long and how often the profiles run. */
export interface ProfileSettings {
  rounds: number;
  /** Warm-up passes over every variant before round 1 (results thrown away). */
  warmups: number;
  /** Length of one warm-up run, ms. */
  warmupMs: number;
  /** Length of one round at 1 in flight, ms (it yields the p99: give it a few thousand calls). */
  latencyRoundMs: number;
  /** Length of one round at `concurrency` in flight, ms. */
  throughputRoundMs: number;
  /** Length of one streaming round, ms. */
  streamRoundMs: number;
  concurrency: number;
}

/** Per variant, one entry per measured round (index i of two variants: measured back to back). */
export interface CallProfileResult {
  profile: CallProfileId;
  /** 1 in flight. */
  one: Record<string, RoundTripResult[]>;
  /** `concurrency` in flight. */
  many: Record<string, RoundTripResult[]>;
}

export type StreamProfileResult = Record<string, StreamingResult[]>;

/** What went wrong in one run, said once; the run goes on. */
export type OnRun = (what: string, variant: string, round: number, error: string | undefined) => void;

/**
 * Between runs: collect the garbage one variant left so the next does not pay for it, then give
 * the collector's background sweeping a moment, so it does not share the cores with the next round.
 */
export async function settle(): Promise<void> {
  collectGarbage();
  await new Promise((resolve) => setTimeout(resolve, 20));
}

const failedRound = (error: unknown): RoundTripResult => ({
  calls: 0,
  errors: 1,
  firstError: describeError(error),
  perSecond: Number.NaN,
  latency: undefined,
  bytesPerCall: Number.NaN,
  clientCpuUsPerCall: Number.NaN,
  serverCpuUsPerCall: Number.NaN,
});

/**
 * Every call profile over every live variant: for each profile, rounds at 1 in flight, then rounds
 * at `concurrency` in flight, variants interleaved round by round (A1 B1 C1 … A2 B2 C2 …).
 * The one round-trip scenario of every program.
 */
export async function runCallProfiles(
  lives: readonly Live[],
  profiles: readonly CallProfile[],
  s: ProfileSettings,
  onRun?: OnRun,
): Promise<CallProfileResult[]> {
  const out: CallProfileResult[] = [];
  for (const profile of profiles) {
    const at = async (concurrency: number, ms: number, what: string) =>
      Object.fromEntries(
        await interleave<RoundTripResult>(
          lives.map((l) => ({
            name: l.variant.id,
            run: async (round) => {
              const r = await roundTrip(l, profile, concurrency, round < 0 ? s.warmupMs : ms).catch(failedRound);
              onRun?.(what, l.variant.id, round, r.errors > 0 ? r.firstError : undefined);
              return r;
            },
          })),
          { rounds: s.rounds, warmups: s.warmups, between: settle },
        ),
      );
    const one = await at(1, s.latencyRoundMs, `${profile.id}, 1 in flight`);
    const many = await at(s.concurrency, s.throughputRoundMs, `${profile.id}, ${s.concurrency} in flight`);
    out.push({ profile: profile.id, one, many });
  }
  return out;
}

/** The streamed profile over every live variant that can stream, interleaved round by round. */
export async function runStreamProfile(lives: readonly Live[], s: ProfileSettings, onRun?: OnRun): Promise<StreamProfileResult> {
  const can = lives.filter((l) => l.variant.cannot.stream === undefined);
  const results = await interleave<StreamingResult>(
    can.map((l) => ({
      name: l.variant.id,
      run: async (round) => {
        const r = await streaming(l, round < 0 ? s.warmupMs : s.streamRoundMs, STREAM_PROFILE.tokens).catch(
          (error: unknown): StreamingResult => ({
            tokensPerSecond: Number.NaN,
            firstTokenMs: Number.NaN,
            bytesPerToken: Number.NaN,
            streams: 0,
            errors: 1,
            firstError: describeError(error),
          }),
        );
        onRun?.(STREAM_PROFILE.id, l.variant.id, round, r.errors > 0 ? r.firstError : undefined);
        return r;
      },
    })),
    { rounds: s.rounds, warmups: s.warmups, between: settle },
  );
  return Object.fromEntries(results);
}
