import {
  CALL_PROFILES,
  type CallProfileId,
  judgeGoals,
  type Live,
  plainSocketIoVariant,
  type ProfileVerdict,
  roundsOf,
  runCallProfiles,
  startLive,
  warmUp,
} from '@agentsocket/bench-kit';
import { aspSocketIoVariant } from './variants.js';

export interface InvokeOptions {
  rounds: number;
  /** Length of one round, ms (1 in flight and 32 in flight alike). */
  roundMs: number;
  profiles: readonly CallProfileId[];
}

export interface InvokeResult {
  profiles: Array<{
    profile: CallProfileId;
    /** Calls per second at 32 in flight, one entry per round. */
    asp: number[];
    plain: number[];
    /** Bytes per call at 1 in flight, one entry per round. */
    aspBytes: number[];
    plainBytes: number[];
  }>;
  /** Issue 13's goals for the Socket.IO transport (calls/s and bytes against plain Socket.IO), per profile. */
  goals: ProfileVerdict[];
}

/**
 * (a) An agent invoke (at-least-once, acknowledged) over our Socket.IO transport against plain
 * Socket.IO emitWithAck with the same object, per payload profile: the kit's round-trip scenario
 * (the one `pnpm bench` and `pnpm compare` run), each server in its own process, rounds interleaved.
 */
export async function invokeBench(options: InvokeOptions): Promise<InvokeResult> {
  const profiles = CALL_PROFILES.filter((p) => options.profiles.includes(p.id));
  const lives: Live[] = [];
  try {
    for (const v of [aspSocketIoVariant, plainSocketIoVariant]) lives.push(await startLive(v));
    for (const l of lives) await warmUp(l, 1000, profiles, 32);
    const calls = await runCallProfiles(
      lives,
      profiles,
      {
        rounds: options.rounds,
        warmups: 1,
        warmupMs: 300,
        latencyRoundMs: options.roundMs,
        throughputRoundMs: options.roundMs,
        streamRoundMs: options.roundMs,
        concurrency: 32,
      },
      (what, variant, round, error) => {
        if (error !== undefined) throw new Error(`${what}, ${variant}, round ${round + 1}: ${error}`);
      },
    );
    return {
      profiles: calls.map((c) => ({
        profile: c.profile,
        asp: roundsOf(c, 'socketio', 'cps32'),
        plain: roundsOf(c, 'plain-socketio', 'cps32'),
        aspBytes: roundsOf(c, 'socketio', 'bytes'),
        plainBytes: roundsOf(c, 'plain-socketio', 'bytes'),
      })),
      goals: judgeGoals(calls),
    };
  } finally {
    await Promise.allSettled(lives.map((l) => l.session.close()));
    await Promise.allSettled(lives.map((l) => l.running.stop()));
  }
}
