/**
 * `pnpm --filter @agentsocket/bench tail`: where the p99 at 1 in flight comes from. Our ws
 * variant and the raw ws echo (the small echo profile), each in rounds that begin after one of
 * three pauses, interleaved:
 *   gc     the client collects garbage and waits 20 ms (what every program does between runs)
 *   idle   the client waits 20 ms, no collection
 *   none   the next round starts at once
 * Each round records every call's round trip by its index since the round began, so the table
 * shows whether the first calls after a pause are the slow ones, and for which variant.
 * Options: --rounds N (default 6), --round-ms MS (default 1000), --quick.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import {
  callProfile,
  closedLoop,
  collectGarbage,
  formatMs,
  formatRatio,
  type Live,
  loadAverage,
  machineInfo,
  median,
  pairedRatios,
  parseCommonArgs,
  percentile,
  rawWsVariant,
  renderTable,
  startLive,
  warmUp,
  wsVariant,
} from '@agentsocket/bench-kit';

const { options } = parseCommonArgs(process.argv.slice(2), {
  full: { rounds: 6, roundMs: 1000, warmupMs: 2000 },
  quick: { rounds: 2, roundMs: 200, warmupMs: 200 },
  outDir: '',
});
const PAUSES = ['gc', 'idle', 'none'] as const;
type Pause = (typeof PAUSES)[number];
/** Calls by index since the round began: [from, to). */
const BUCKETS: ReadonlyArray<readonly [number, number]> = [
  [0, 20],
  [20, 100],
  [100, 500],
  [500, Number.POSITIVE_INFINITY],
];
const echo = callProfile('echo');

async function pause(kind: Pause): Promise<void> {
  if (kind === 'gc') collectGarbage();
  if (kind !== 'none') await new Promise((resolve) => setTimeout(resolve, 20));
}

/** Garbage collections in this (the client) process: start and end, performance.now() ms. */
const collections: Array<[number, number]> = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) collections.push([e.startTime, e.startTime + e.duration]);
}).observe({ entryTypes: ['gc'] });

/** Of the calls slower than the round's p99, how many overlapped a collection in the client. */
const slowWithGc = new Map<string, { slow: number; withGc: number }>();

/** One round: every call's round trip, in order. */
async function round(live: Live): Promise<number[]> {
  const samples: number[] = [];
  const starts: number[] = [];
  await closedLoop(
    async () => {
      const t0 = performance.now();
      await live.session.call(echo);
      starts.push(t0);
      samples.push(performance.now() - t0);
    },
    { concurrency: 1, durationMs: options.roundMs, recordLatency: false },
  );
  const p99 = percentile(samples, 99);
  const tally = slowWithGc.get(live.variant.id) ?? { slow: 0, withGc: 0 };
  for (const [i, ms] of samples.entries()) {
    if (ms < p99) continue;
    const from = starts[i] ?? 0;
    tally.slow++;
    if (collections.some(([a, b]) => a < from + ms && b > from)) tally.withGc++;
  }
  slowWithGc.set(live.variant.id, tally);
  return samples;
}

const machine = machineInfo();
console.log(`p99 after a pause: ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}, load average ${loadAverage()}`);
const lives: Live[] = [];
try {
  for (const v of [wsVariant, rawWsVariant]) lives.push(await startLive(v));
  for (const l of lives) await warmUp(l, options.warmupMs, [echo], 32);
  // results[pause][variant][round] = samples
  const results = new Map<Pause, Map<string, number[][]>>(PAUSES.map((p) => [p, new Map(lives.map((l) => [l.variant.id, []]))]));
  for (let r = 0; r < options.rounds; r++) {
    for (const p of PAUSES) {
      for (const l of lives) {
        await pause(p);
        results.get(p)?.get(l.variant.id)?.push(await round(l));
      }
    }
    console.error(`  round ${r + 1}/${options.rounds}`);
  }
  const rows: string[][] = [];
  for (const p of PAUSES) {
    for (const [from, to] of BUCKETS) {
      const pick = (id: string, q: number) =>
        (results.get(p)?.get(id) ?? []).map((samples) => percentile(samples.slice(from, Number.isFinite(to) ? to : undefined), q));
      const [ours, raw] = [lives[0]?.variant.id ?? 'ws', lives[1]?.variant.id ?? 'raw-ws'];
      rows.push([
        p,
        `${from}–${Number.isFinite(to) ? to - 1 : 'end'}`,
        formatMs(median(pick(ours, 50))),
        formatMs(median(pick(raw, 50))),
        formatRatio(median(pairedRatios(pick(ours, 50), pick(raw, 50)))),
        formatMs(median(pick(ours, 99))),
        formatMs(median(pick(raw, 99))),
        formatRatio(median(pairedRatios(pick(ours, 99), pick(raw, 99)))),
      ]);
    }
  }
  console.log(`\nRound trips at 1 in flight by call index within a round (${options.rounds} rounds of ${options.roundMs} ms per pause and variant, medians of per-round figures):`);
  console.log(
    renderTable(
      [
        { header: 'pause before' },
        { header: 'calls' },
        { header: 'ws p50' },
        { header: 'raw p50' },
        { header: 'ratio' },
        { header: 'ws p99' },
        { header: 'raw p99' },
        { header: 'ratio' },
      ],
      rows,
    ),
  );
  for (const [id, t] of slowWithGc) {
    console.log(`${id}: ${t.withGc} of the ${t.slow} calls at or above their round's p99 overlapped a garbage collection in the client`);
  }
  console.log(`load average at the end ${loadAverage()}`);
} finally {
  await Promise.allSettled(lives.map((l) => l.session.close()));
  await Promise.allSettled(lives.map((l) => l.running.stop()));
}
process.exit(0);
