import { collectGarbage, interleave } from '@agentsocket/bench/lib';
import { describeError, type Live } from './measure/live.js';
import { idleMemory } from './measure/memory.js';
import { warmUp } from './measure/warm-up.js';
import type { Progress } from './progress.js';
import { emptyResult, record, summarize, type VariantResult } from './results.js';
import { scenarios } from './scenarios.js';
import type { Settings } from './settings.js';
import type { Variant } from './variant.js';

/**
 * Runs every scenario over every variant it applies to, interleaved round by round, then the
 * memory phase on fresh server processes. Every server and client is closed before it returns,
 * whatever failed.
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
  const resultOf = (v: Variant): VariantResult => {
    const r = results.get(v.id);
    if (!r) throw new Error(`no result slot for ${v.id}`);
    return r;
  };
  const list = scenarios(settings);
  const live: Live[] = [];
  // Every step is known up front, so the bar never moves backwards.
  const runs = settings.warmups + settings.rounds;
  progress.add(variants.length * 2);
  for (const s of list) progress.add(variants.filter((v) => s.applies(v)).length * runs);
  progress.add(memoryVariants(variants).length * (settings.memoryRounds + 1));
  phase('starting servers');
  try {
    const started = await Promise.allSettled(variants.map((v) => startLive(v)));
    for (const [i, s] of started.entries()) {
      const v = variants[i];
      if (!v) continue;
      if (s.status === 'fulfilled') live.push(s.value);
      else resultOf(v).errors.push(`start: ${describeError(s.reason)}`);
      progress.tick(v.id);
    }

    phase('warm-up');
    for (const l of live) {
      await warmUp(l, settings.warmupPhaseMs, settings.chunksPerCall, settings.concurrency).catch((error: unknown) =>
        resultOf(l.variant).errors.push(describeError(error)),
      );
      progress.tick(l.variant.id);
    }

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
            if (round >= 0) record(resultOf(l.variant), s.id, round, outcome);
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
      if (round >= 0 || outcome.errors > 0) record(resultOf(v), 'memory', Math.max(0, round), outcome);
      progress.tick(`${v.id}${round < 0 ? ' baseline' : ` batch ${round + 1}`}`);
    },
  });

  endPhase();
  const out = [...results.values()];
  for (const r of out) summarize(r);
  return { results: out, phases };
}

/** How long each phase took, for the report (and for keeping the default run within its budget). */
export interface Phase {
  name: string;
  seconds: number;
}

export interface Comparison {
  results: VariantResult[];
  phases: Phase[];
}

/**
 * Between runs: collect the garbage one variant left so the next does not pay for it, then give
 * the collector's background sweeping a moment, so it does not share the cores with the next round.
 */
async function settle(): Promise<void> {
  collectGarbage();
  await new Promise((resolve) => setTimeout(resolve, 20));
}

function memoryVariants(variants: readonly Variant[]): Variant[] {
  return variants.filter((v) => v.cannot.memory === undefined);
}

/** Starts a variant's server and opens the connection the scenarios share. */
async function startLive(variant: Variant): Promise<Live> {
  const running = await variant.start();
  try {
    return { variant, running, session: await running.connect() };
  } catch (error) {
    await running.stop();
    throw error;
  }
}
