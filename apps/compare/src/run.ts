import {
  CALL_PROFILES,
  type CallProfileResult,
  describeError,
  interleave,
  type Live,
  pool,
  type ProfileSettings,
  runCallProfiles,
  runStreamProfile,
  type StreamProfileResult,
  settle,
  startLive,
  type Variant,
  warmUp,
} from '@agentsocket/bench-kit';
import { idleMemory } from './measure/memory.js';
import type { Progress } from './progress.js';
import { emptyResult, record, summarize, type VariantResult } from './results.js';
import { LATENCY_ROUND_FACTOR, scenarios } from './scenarios.js';
import type { Settings } from './settings.js';

/**
 * Runs every call profile and the streamed profile over every variant (the kit's scenarios, the
 * same code `pnpm bench` runs), then the comparison's own scenarios (full duplex, setup), each
 * interleaved round by round, then the memory phase on fresh server processes. Every server and
 * client is closed before it returns, whatever failed.
 */
export async function runComparison(variants: readonly Variant[], settings: Settings, progress: Progress): Promise<Comparison> {
  const phases: Phase[] = [];
  let phaseStarted = performance.now();
  const endPhase = () => {
    const last = phases.at(-1);
    if (last) last.seconds = (performance.now() - phaseStarted) / 1000;
    phaseStarted = performance.now();
  };
  const phase = (name: string) => {
    endPhase();
    phases.push({ name, seconds: 0 });
    progress.phase(name);
  };
  const results = new Map(variants.map((v) => [v.id, emptyResult(v)]));
  const resultOf = (id: string): VariantResult => {
    const r = results.get(id);
    if (!r) throw new Error(`no result slot for ${id}`);
    return r;
  };
  const profileSettings: ProfileSettings = {
    rounds: settings.rounds,
    warmups: settings.warmups,
    warmupMs: settings.warmupMs,
    latencyRoundMs: settings.roundMs * LATENCY_ROUND_FACTOR,
    throughputRoundMs: settings.roundMs,
    streamRoundMs: settings.streamMs,
    concurrency: settings.concurrency,
  };
  const list = scenarios(settings);
  const live: Live[] = [];
  let calls: CallProfileResult[] = [];
  let stream: StreamProfileResult = {};
  // Every step is known up front, so the bar never moves backwards.
  const runs = settings.warmups + settings.rounds;
  const streamers = variants.filter((v) => v.cannot.stream === undefined).length;
  progress.add(variants.length * 2 + CALL_PROFILES.length * 2 * variants.length * runs + streamers * runs);
  for (const s of list) progress.add(variants.filter((v) => s.applies(v)).length * runs);
  progress.add(memoryVariants(variants).length * (settings.memoryRounds + 1));
  const onRun = (what: string, variant: string, round: number, error: string | undefined) => {
    if (error !== undefined) resultOf(variant).errors.push(`${what}, ${round < 0 ? 'warm-up' : `round ${round + 1}`}: ${error}`);
    progress.tick(`${variant}${round < 0 ? ' (warm-up)' : ` round ${round + 1}`}`);
  };
  phase('starting servers');
  try {
    // A few at a time: on a busy 2-core machine a dozen children compiling at once can each miss the ready timeout.
    const started: Array<Live | undefined> = variants.map(() => undefined);
    await pool([...variants.keys()], 3, async (i) => {
      const v = variants[i];
      if (!v) return;
      try {
        started[i] = await startLive(v);
      } catch (error) {
        resultOf(v.id).errors.push(`start: ${describeError(error)}`);
      }
      progress.tick(v.id);
    });
    for (const l of started) if (l) live.push(l);

    phase('warm-up');
    for (const l of live) {
      await warmUp(l, settings.warmupPhaseMs, CALL_PROFILES, settings.concurrency).catch((error: unknown) =>
        resultOf(l.variant.id).errors.push(describeError(error)),
      );
      progress.tick(l.variant.id);
    }

    phase('round trips, every call profile');
    calls = await runCallProfiles(live, CALL_PROFILES, profileSettings, onRun);
    phase('streamed profile');
    stream = await runStreamProfile(live, profileSettings, onRun);

    for (const s of list) {
      phase(s.title);
      await interleave(
        live.filter((l) => s.applies(l.variant)).map((l) => ({
          name: l.variant.id,
          run: async (round: number) => {
            const outcome = await s.run(l, round).catch((error: unknown) => ({
              values: {},
              operations: 0,
              errors: 1,
              firstError: describeError(error),
            }));
            if (round >= 0) record(resultOf(l.variant.id), s.id, round, outcome);
            progress.tick(`${l.variant.id}${round < 0 ? ' (warm-up)' : ` round ${round + 1}`}`);
            return outcome;
          },
        })),
        { rounds: settings.rounds, warmups: settings.warmups, between: settle },
      );
    }
  } finally {
    await Promise.allSettled(live.map((l) => l.session.close()));
    await Promise.allSettled(live.map((l) => l.running.stop()));
  }

  phase(`idle memory, ${settings.connections.toLocaleString('en-US')} connections per server`);
  await idleMemory(memoryVariants(variants), {
    connections: settings.connections,
    rounds: settings.memoryRounds,
    onResult: (v, round, outcome) => {
      if (round >= 0 || outcome.errors > 0) record(resultOf(v.id), 'memory', Math.max(0, round), outcome);
      progress.tick(`${v.id}${round < 0 ? ' baseline' : ` batch ${round + 1}`}`);
    },
  });

  endPhase();
  fromProfiles(calls, stream, resultOf);
  const out = [...results.values()];
  for (const r of out) summarize(r);
  return { results: out, phases, calls, stream };
}

/**
 * The per-variant figures of the tables, charts and issue 5's targets: round trips of the small
 * echo profile, and the streamed profile. Every profile is in `calls`, with issue 13's goals.
 */
function fromProfiles(calls: readonly CallProfileResult[], stream: StreamProfileResult, resultOf: (id: string) => VariantResult): void {
  const echo = calls.find((c) => c.profile === 'echo');
  for (const [id, rounds] of Object.entries(echo?.one ?? {})) {
    const r = resultOf(id);
    r.operations['rt1'] = rounds.reduce((n, x) => n + x.calls, 0);
    r.rounds.p50 = rounds.map((x) => x.latency?.p50 ?? Number.NaN);
    r.rounds.p99 = rounds.map((x) => x.latency?.p99 ?? Number.NaN);
    r.rounds.cps1 = rounds.map((x) => x.perSecond);
    r.rounds.bytes = rounds.map((x) => x.bytesPerCall);
  }
  for (const [id, rounds] of Object.entries(echo?.many ?? {})) {
    resultOf(id).operations['rt32'] = rounds.reduce((n, x) => n + x.calls, 0);
    resultOf(id).rounds.cps32 = rounds.map((x) => x.perSecond);
  }
  for (const [id, rounds] of Object.entries(stream)) {
    const r = resultOf(id);
    r.operations['stream'] = rounds.reduce((n, x) => n + x.streams, 0);
    r.rounds.ttfc = rounds.map((x) => x.firstTokenMs);
    r.rounds.chunks = rounds.map((x) => x.tokensPerSecond);
  }
}

/** How long each phase took, for the report (and for keeping the default run within its budget). */
export interface Phase {
  name: string;
  seconds: number;
}

export interface Comparison {
  results: VariantResult[];
  phases: Phase[];
  /** Every call profile, every variant, every round. */
  calls: CallProfileResult[];
  /** The streamed profile, every variant that streams, every round. */
  stream: StreamProfileResult;
}

function memoryVariants(variants: readonly Variant[]): Variant[] {
  return variants.filter((v) => v.cannot.memory === undefined);
}
