/**
 * `pnpm bench`: agent invoke round trips over @agentsocket/ws against a raw `ws` echo of the same
 * size, and our codec against @msgpack/msgpack and JSON. Prints a table, writes JSON to reports/.
 * Exits non-zero only when a variant is broken (errors, no calls), never on a timing target.
 */
import { fileURLToPath } from 'node:url';
import { type CodecBenchResult, runCodecBench } from './codec-bench.js';
import { parseCommonArgs } from './lib/cli.js';
import { loadAverage, machineInfo, writeJsonReport } from './lib/report.js';
import { formatCount, formatMs, formatNs, formatRatio, renderTable } from './lib/table.js';
import { judge, type Verdict, verdictLabel } from './lib/verdict.js';
import {
  medianOf,
  pairedRatio,
  type RoundResult,
  runNetworkBench,
  type ScenarioResult,
  type Topology,
  VARIANTS,
  type VariantName,
} from './net-bench.js';
import { ECHO_ARGS, ECHO_TOOL, invokeFrameBytes } from './workload.js';

const usage = `usage: pnpm bench [-- options]
  --quick           smoke run: 3 short rounds (CI); checks every variant works, never timing
  --rounds N        measured rounds per comparison (default 7; at least 5 for figures you quote)
  --round-ms MS     length of one network round (default 1500)
  --warmup-ms MS    warm-up per network variant before round 1 (default 1500)
  --only PARTS      run only some of: codec, throughput32, latency1 (comma-separated)
  --inline          run the servers in this process instead of one child process each
  --out DIR         where the JSON report goes (default <repo>/reports)`;

const PARTS = ['codec', 'throughput32', 'latency1'];

const { options, flags } = parseCommonArgs(
  process.argv.slice(2),
  {
    full: { rounds: 7, roundMs: 1500, warmupMs: 1500 },
    quick: { rounds: 3, roundMs: 200, warmupMs: 200 },
    outDir: fileURLToPath(new URL('../../../reports', import.meta.url)),
  },
  ['inline'],
);
if (options.help) {
  console.log(usage);
  process.exit(0);
}
for (const part of options.only) {
  if (!PARTS.includes(part)) {
    console.error(`--only: unknown part "${part}" (known: ${PARTS.join(', ')})`);
    process.exit(2);
  }
}
const wants = (part: string) => options.only.length === 0 || options.only.includes(part);
const topology: Topology = flags['inline'] ? 'inline' : 'processes';
const codecRoundMs = options.quick ? 50 : 300;
// Run from source through tsx (pnpm start) or compiled by tsc (pnpm bench); tsx's output is slower.
const code = import.meta.url.endsWith('.ts') ? 'source via tsx' : 'compiled (tsc)';
const progress = (line: string) => console.error(`  ${line}`);
const startedAt = new Date();
const machine = machineInfo();
const loadAtStart = loadAverage();
const messageBytes = invokeFrameBytes();

console.log(`Agent Socket bench${options.quick ? ' (quick smoke run)' : ''}`);
console.log(`${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}, ${machine.os}; code ${code}; load average ${loadAtStart}`);
console.log(
  `${options.rounds} interleaved rounds of ${options.roundMs} ms after ${options.warmupMs} ms warm-up; ` +
    `servers ${topology === 'processes' ? 'in child processes' : 'in this process'}; 127.0.0.1; ` +
    `${messageBytes}-byte messages for the raw echo\n`,
);
if (!options.quick && options.rounds < 5) console.log('note: fewer than 5 rounds; medians are less trustworthy\n');

const problems: string[] = [];

let codec: CodecBenchResult | undefined;
if (wants('codec')) {
  console.error('codec:');
  codec = await runCodecBench({ rounds: options.rounds, roundMs: codecRoundMs, onProgress: progress });
  for (const b of codec.broken) problems.push(`codec ${b}: decode(encode(x)) differs from x`);
}

let scenarios: ScenarioResult[] = [];
const scenarioIds = PARTS.filter((p) => p !== 'codec' && wants(p));
if (scenarioIds.length > 0) {
  console.error('network:');
  try {
    scenarios = await runNetworkBench({
      topology,
      rounds: options.rounds,
      roundMs: options.roundMs,
      warmupMs: options.warmupMs,
      messageBytes,
      scenarios: scenarioIds,
      onProgress: progress,
    });
  } catch (error) {
    problems.push(`network bench failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}
for (const s of scenarios) {
  for (const [name, rounds] of Object.entries(s.rounds)) {
    for (const [i, r] of rounds.entries()) {
      if (r.calls === 0) problems.push(`${s.title}, ${name}, round ${i + 1}: no call completed`);
      if (r.errors > 0) problems.push(`${s.title}, ${name}, round ${i + 1}: ${r.errors} errors (${r.firstError})`);
    }
  }
}

const throughput = scenarios.find((s) => s.id === 'throughput32');
const latency = scenarios.find((s) => s.id === 'latency1');
const perSecond = (r: RoundResult) => r.perSecond;
const p50 = (r: RoundResult) => r.latency?.p50 ?? Number.NaN;
const p99 = (r: RoundResult) => r.latency?.p99 ?? Number.NaN;

const verdicts: Verdict[] = [];
const info: Verdict[] = [];
if (throughput) {
  verdicts.push(
    judge({
      id: 'throughput32',
      statement: 'throughput at 32 in flight ≥ 80% of the raw ws echo',
      ratio: pairedRatio(throughput, perSecond),
      direction: 'atLeast',
      threshold: 0.8,
    }),
  );
}
if (latency) {
  verdicts.push(
    judge({
      id: 'latency1.p50',
      statement: 'p50 latency at 1 in flight ≤ 1.25× the raw ws echo',
      ratio: pairedRatio(latency, p50),
      direction: 'atMost',
      threshold: 1.25,
    }),
  );
  info.push(
    judge({
      id: 'latency1.p99',
      statement: 'p99 latency at 1 in flight ≤ 1.5× the raw ws echo (issue 5 target, informational here)',
      ratio: pairedRatio(latency, p99),
      direction: 'atMost',
      threshold: 1.5,
    }),
  );
}
if (codec) {
  verdicts.push(
    judge({
      id: 'codec',
      statement: 'encode+decode of a small envelope at least as fast as JSON.stringify+JSON.parse',
      ratio: codec.jsonOverOurs,
      direction: 'atLeast',
      threshold: 1,
    }),
  );
}

if (scenarios.length > 0) printNetworkTable(scenarios);
if (codec) printCodecTable(codec);
console.log('\nTargets (ratios are medians of per-round ratios, both sides measured in the same run):');
console.log(
  renderTable(
    [{ header: 'target' }, { header: 'measured' }, { header: 'needed' }, { header: 'verdict', align: 'left' }],
    [...verdicts, ...info].map((v) => [
      v.statement,
      formatRatio(v.ratio),
      `${v.direction === 'atLeast' ? '≥' : '≤'} ${formatRatio(v.threshold)}`,
      verdicts.includes(v) ? verdictLabel(v) : `${verdictLabel(v)} (info)`,
    ]),
  ),
);
if (codec) {
  const ns = (i: number) => codec?.variants[i]?.medianNsPerOp ?? Number.NaN;
  console.log(
    `\nDefault codec (ours) takes ${formatRatio(1 / codec.referenceOverOurs)} the time of @msgpack/msgpack on this envelope ` +
      `(${formatNs(ns(0))} vs ${formatNs(ns(1))} per encode+decode; ${formatRatio(codec.referenceOverOurs)} as fast); ` +
      `${codec.msgpackIdentical ? 'both wrote the same bytes' : 'their bytes differ'}.`,
  );
}

const report = {
  bench: '@agentsocket/bench',
  startedAt: startedAt.toISOString(),
  finishedAt: new Date().toISOString(),
  machine,
  settings: {
    quick: options.quick,
    rounds: options.rounds,
    roundMs: options.roundMs,
    warmupMs: options.warmupMs,
    codecRoundMs,
    topology,
    code,
    only: options.only,
    host: '127.0.0.1',
  },
  // Other processes on the machine (1-minute load average) when the run started and ended.
  load: { start: loadAtStart, end: loadAverage() },
  workload: { tool: ECHO_TOOL, args: ECHO_ARGS, delivery: 'at-least-once', invokeFrameBytes: messageBytes, rawMessageBytes: messageBytes },
  verdicts,
  info,
  network: scenarios,
  codec,
  problems,
};
const path = writeJsonReport(options.outDir, 'bench', report, startedAt);
console.log(`\nLoad average ${loadAtStart} at the start, ${report.load.end} at the end. JSON report: ${path}`);

if (problems.length > 0) {
  console.error(`\n${problems.length} problem(s): a variant is broken`);
  for (const p of problems) console.error(`  - ${p}`);
  process.exit(1);
}
// Timing targets never fail the run; they are reported above.
process.exit(0);

function printNetworkTable(all: readonly ScenarioResult[]): void {
  const rows: string[][] = [];
  const row = (label: string, s: ScenarioResult, pick: (r: RoundResult) => number, fmt: (n: number) => string) => {
    const v = (name: VariantName) => fmt(medianOf(s, name, pick));
    rows.push([label, v('agent'), v('raw'), formatRatio(pairedRatio(s, pick))]);
  };
  for (const s of all) {
    const at = `${s.concurrency} in flight`;
    row(`calls/s, ${at}`, s, perSecond, formatCount);
    row(`p50, ${at}`, s, p50, formatMs);
    row(`p99, ${at}`, s, p99, formatMs);
  }
  const first = all[0];
  if (first) row('wire bytes/call (both ways)', first, (r) => r.wireBytesPerCall, formatCount);
  for (const s of all) {
    row(`client CPU/call, ${s.concurrency} in flight`, s, (r) => r.clientCpuUsPerCall / 1000, formatMs);
    row(`server CPU/call, ${s.concurrency} in flight`, s, (r) => r.serverCpuUsPerCall / 1000, formatMs);
  }
  console.log(`\nRound trips over ws on 127.0.0.1 (median of ${options.rounds} rounds; ratio = ${VARIANTS.agent} / ${VARIANTS.raw}):`);
  console.log(renderTable([{ header: 'figure' }, { header: VARIANTS.agent }, { header: VARIANTS.raw }, { header: 'ratio' }], rows));
}

function printCodecTable(c: CodecBenchResult): void {
  const ours = c.variants[0]?.medianNsPerOp ?? Number.NaN;
  console.log(`\nEncode + decode of one INVOKE payload (median of ${c.rounds} rounds; ratio = time / ours):`);
  console.log(
    renderTable(
      [{ header: 'codec' }, { header: 'encode+decode' }, { header: 'ops/s' }, { header: 'bytes' }, { header: 'time vs ours' }],
      c.variants.map((v) => [v.name, formatNs(v.medianNsPerOp), formatCount(1e9 / v.medianNsPerOp), String(v.bytes), formatRatio(v.medianNsPerOp / ours)]),
    ),
  );
}
