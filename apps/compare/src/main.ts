/**
 * `pnpm compare`: the same agent over every transport, beside raw ws, plain Socket.IO and a bare
 * MCP SDK server, all measured in one run. Prints tables, writes JSON and a self-contained HTML
 * report to reports/. Exits non-zero when a variant is broken, never on a missed target.
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CALL_PROFILES,
  fileTimestamp,
  invokeFrameBytes,
  judgeGoals,
  machineInfo,
  parseCommonArgs,
  QUESTION,
  STREAM_PROFILE,
  writeJsonReport,
} from '@agentsocket/bench-kit';
import { methodNotes } from './method.js';
import { progressBar } from './progress.js';
import { renderHtml } from './report/html.js';
import type { ComparisonReport } from './report/model.js';
import { renderTables } from './report/terminal.js';
import { packageVersions } from './report/versions.js';
import { expectedFigures, problems } from './results.js';
import { type Comparison, runComparison } from './run.js';
import { FULL, QUICK } from './settings.js';
import { LATENCY_ROUND_FACTOR } from './scenarios.js';
import { judgeTargets } from './targets.js';
import { variants } from './variants.js';

const usage = `usage: pnpm compare [-- options]
  --quick           smoke run (CI): every variant and measurement, briefly; figures not for quoting
  --rounds N        measured rounds per scenario (default ${FULL.rounds}; at least 5 for figures you quote)
  --round-ms MS     length of one round-trip round at 32 in flight, per profile; 1 in flight runs ${LATENCY_ROUND_FACTOR}× as long (default ${FULL.roundMs})
  --warmup-ms MS    length of one warm-up run (default ${FULL.warmupMs})
  --markdown        print the tables as Markdown (for docs/benchmarks.md)
  --out DIR         where the JSON and HTML reports go (default <repo>/reports)`;

const { options, flags } = parseCommonArgs(
  process.argv.slice(2),
  {
    full: { rounds: FULL.rounds, roundMs: FULL.roundMs, warmupMs: FULL.warmupMs },
    quick: { rounds: QUICK.rounds, roundMs: QUICK.roundMs, warmupMs: QUICK.warmupMs },
    outDir: fileURLToPath(new URL('../../../reports', import.meta.url)),
  },
  ['markdown'],
);
if (options.help) {
  console.log(usage);
  process.exit(0);
}
const base = options.quick ? QUICK : FULL;
const settings = { ...base, rounds: options.rounds, roundMs: options.roundMs, warmupMs: options.warmupMs };
const compiled = import.meta.url.endsWith('.js');
const startedAt = new Date();
const machine = machineInfo();
const loadAtStart = loadavg()[0] ?? 0;

console.log(`Agent Socket transport comparison${settings.quick ? ' (quick smoke run)' : ''}`);
console.log(`${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}, Node ${machine.node}, load average ${loadAtStart.toFixed(2)}`);
console.log(`${variants.length} variants; ${settings.rounds} interleaved rounds per scenario after ${settings.warmups} warm-up; servers in child processes`);
if (!compiled) console.log('note: running TS sources through tsx (keepNames costs Agent Socket code extra); `pnpm compare` runs compiled JS');
console.log('');

const progress = progressBar();
let comparison: Comparison;
try {
  comparison = await runComparison(variants, settings, progress);
} catch (error) {
  progress.done();
  console.error(`comparison failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
}
progress.done();
const { results, phases, calls, stream } = comparison;

const finishedAt = new Date();
const report: ComparisonReport = {
  tool: '@agentsocket/compare',
  startedAt: startedAt.toISOString(),
  finishedAt: finishedAt.toISOString(),
  durationSeconds: (finishedAt.getTime() - startedAt.getTime()) / 1000,
  machine,
  loadAverage: { start: loadAtStart, end: loadavg()[0] ?? 0 },
  versions: packageVersions(),
  runtime: { compiled, execArgv: process.execArgv },
  settings,
  phases,
  workload: {
    profiles: CALL_PROFILES.map((p) => ({ ...p, rawEchoBytes: invokeFrameBytes(p) })),
    streamProfile: { id: STREAM_PROFILE.id, tokens: STREAM_PROFILE.tokens, token: STREAM_PROFILE.token },
    question: QUESTION,
  },
  variants: results,
  targets: judgeTargets(results),
  calls,
  stream,
  goals: judgeGoals(calls),
  problems: results.flatMap((r) => problems(r, expectedFigures(r))),
  method: methodNotes(settings),
};

console.log(renderTables(report, flags['markdown'] ? 'markdown' : 'text'));
const jsonPath = writeJsonReport(options.outDir, 'compare', report, startedAt);
const htmlPath = join(options.outDir, `compare-${fileTimestamp(startedAt)}.html`);
writeFileSync(htmlPath, renderHtml(report));
console.log(`\nLoad average ${report.loadAverage.start.toFixed(2)} at start, ${report.loadAverage.end.toFixed(2)} at end (${machine.cores} cores).`);
console.log(`Phases: ${phases.map((p) => `${p.name} ${p.seconds.toFixed(0)} s`).join(', ')}`);
console.log(`\nJSON report: ${jsonPath}\nHTML report: ${htmlPath}\nTook ${report.durationSeconds.toFixed(0)} s.`);

if (report.problems.length > 0) {
  console.error(`\n${report.problems.length} problem(s): a variant is broken`);
  for (const p of report.problems) console.error(`  - ${p}`);
  process.exit(1);
}
// Missed targets are results, not failures; they are in the table above.
process.exit(0);
