/**
 * `pnpm bench`: our ws transport against its references on every payload profile — the raw ws
 * echo (same bytes), a hand-written ws + msgpackr RPC (same object) and plain Socket.IO (same
 * object) — the streamed profile against plain Socket.IO events, and our codec against
 * @msgpack/msgpack and JSON. The round trips and the stream are the kit's scenarios, the same
 * code `pnpm compare` runs. Prints tables and verdicts per profile, writes JSON to reports/.
 * Exits non-zero only when a variant is broken (errors, no calls), never on a timing target.
 */
import { fileURLToPath } from 'node:url';
import {
  CALL_PROFILE_IDS,
  CALL_PROFILES,
  type CallProfileResult,
  describeError,
  formatNs,
  formatRatio,
  invokeFrameBytes,
  judge,
  judgeGoals,
  type Live,
  loadAverage,
  machineInfo,
  msgpackRpcVariant,
  parseCommonArgs,
  plainSocketIoVariant,
  type ProfileSettings,
  profileTables,
  rawWsVariant,
  renderMarkdownTable,
  renderTable,
  runCallProfiles,
  runStreamProfile,
  STREAM_PROFILE,
  type StreamProfileResult,
  startLive,
  streamTable,
  type Verdict,
  verdictColumns,
  verdictLabel,
  verdictRows,
  warmUp,
  writeJsonReport,
  wsVariant,
} from '@agentsocket/bench-kit';
import { type CodecBenchResult, runCodecBench } from './codec-bench.js';

const usage = `usage: pnpm bench [-- options]
  --quick           smoke run: 2 short rounds (CI); checks every variant and profile works, never timing
  --rounds N        measured rounds per profile (default 7; at least 5 for figures you quote)
  --round-ms MS     length of one round at 1 in flight (default 1000); 32 in flight and streams run 0.6× as long
  --warmup-ms MS    length of one warm-up run per variant (default 500)
  --only PARTS      run only some of: codec, calls, stream (comma-separated)
  --profiles IDS    call profiles to run (default all: ${CALL_PROFILE_IDS.join(', ')})
  --markdown        print the tables as Markdown (for docs/benchmarks.md)
  --out DIR         where the JSON report goes (default <repo>/reports)`;

const PARTS = ['codec', 'calls', 'stream'];
const argv = process.argv.slice(2);
// --profiles takes a value: read it here, leave the rest to the kit's parser.
const profilesAt = argv.indexOf('--profiles');
const profileIds = profilesAt >= 0 ? (argv[profilesAt + 1] ?? '').split(',').filter((s) => s !== '') : [...CALL_PROFILE_IDS];
if (profilesAt >= 0) argv.splice(profilesAt, 2);

const { options, flags } = parseCommonArgs(
  argv,
  {
    full: { rounds: 7, roundMs: 1000, warmupMs: 500 },
    quick: { rounds: 2, roundMs: 150, warmupMs: 60 },
    outDir: fileURLToPath(new URL('../../../reports', import.meta.url)),
  },
  ['markdown'],
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
const profiles = CALL_PROFILES.filter((p) => profileIds.includes(p.id));
for (const id of profileIds) {
  if (!CALL_PROFILES.some((p) => p.id === id)) {
    console.error(`--profiles: unknown profile "${id}" (known: ${CALL_PROFILE_IDS.join(', ')})`);
    process.exit(2);
  }
}
const wants = (part: string) => options.only.length === 0 || options.only.includes(part);
const settings: ProfileSettings = {
  rounds: options.rounds,
  warmups: 1,
  warmupMs: options.warmupMs,
  latencyRoundMs: options.roundMs,
  throughputRoundMs: Math.round(options.roundMs * 0.6),
  streamRoundMs: Math.round(options.roundMs * 0.6),
  concurrency: 32,
};
const codecRoundMs = options.quick ? 50 : 300;
// Run from source through tsx (pnpm start) or compiled by tsc (pnpm bench); tsx's output is slower.
const code = import.meta.url.endsWith('.ts') ? 'source via tsx' : 'compiled (tsc)';
const render = flags['markdown'] ? renderMarkdownTable : renderTable;
const startedAt = new Date();
const machine = machineInfo();
const loadAtStart = loadAverage();
const variants = [wsVariant, rawWsVariant, msgpackRpcVariant, plainSocketIoVariant];

console.log(`Agent Socket bench${options.quick ? ' (quick smoke run)' : ''}`);
console.log(`${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}, ${machine.os}; code ${code}; load average ${loadAtStart}`);
console.log(
  `${settings.rounds} interleaved rounds per profile: ${settings.latencyRoundMs} ms at 1 in flight, ${settings.throughputRoundMs} ms at ${settings.concurrency} in flight, ` +
    `after a ${settings.warmupMs} ms warm-up; servers in child processes; 127.0.0.1`,
);
console.log(`raw ws echo message sizes (our INVOKE frame per profile): ${profiles.map((p) => `${p.id} ${invokeFrameBytes(p)} B`).join(', ')}\n`);
if (!options.quick && options.rounds < 5) console.log('note: fewer than 5 rounds; medians are less trustworthy\n');
if (loadAtStart > machine.cores) console.log(`note: the machine is busy (load average ${loadAtStart} on ${machine.cores} cores); quote ratios, not absolute figures\n`);

const problems: string[] = [];
const progress = (what: string, variant: string, round: number, error: string | undefined) => {
  if (error !== undefined) problems.push(`${what}, ${variant}, ${round < 0 ? 'warm-up' : `round ${round + 1}`}: ${error}`);
  console.error(`  ${what}  ${variant}  ${round < 0 ? 'warm-up' : `round ${round + 1}/${settings.rounds}`}${error ? `  ERROR ${error}` : ''}`);
};

let codec: CodecBenchResult | undefined;
if (wants('codec')) {
  console.error('codec:');
  codec = await runCodecBench({ rounds: options.rounds, roundMs: codecRoundMs, onProgress: (line) => console.error(`  ${line}`) });
  for (const b of codec.broken) problems.push(`codec ${b}: decode(encode(x)) differs from x`);
}

let calls: CallProfileResult[] = [];
let stream: StreamProfileResult | undefined;
if (wants('calls') || wants('stream')) {
  const lives: Live[] = [];
  try {
    for (const v of variants) lives.push(await startLive(v));
    for (const l of lives) await warmUp(l, options.quick ? 200 : 2000, profiles, settings.concurrency);
    if (wants('calls')) calls = await runCallProfiles(lives, profiles, settings, progress);
    if (wants('stream')) stream = await runStreamProfile(lives, settings, progress);
  } catch (error) {
    problems.push(`network bench failed: ${describeError(error)}`);
  } finally {
    await Promise.allSettled(lives.map((l) => l.session.close()));
    await Promise.allSettled(lives.map((l) => l.running.stop()));
  }
}
for (const r of calls) {
  for (const [at, byVariant] of [['1 in flight', r.one] as const, [`${settings.concurrency} in flight`, r.many] as const]) {
    for (const [variant, rounds] of Object.entries(byVariant)) {
      for (const [i, x] of rounds.entries()) if (x.calls === 0) problems.push(`${r.profile}, ${at}, ${variant}, round ${i + 1}: no call completed`);
    }
  }
}

const goals = judgeGoals(calls);
for (const t of profileTables(calls, variants, settings.concurrency)) {
  console.log(`\n${t.title} — median of ${settings.rounds} rounds:`);
  console.log(render(t.columns, t.rows));
}
if (stream) {
  const t = streamTable(stream, variants);
  console.log(`\n${t.title} — median of ${settings.rounds} rounds:`);
  console.log(render(t.columns, t.rows));
}
let codecVerdict: Verdict | undefined;
if (codec) {
  const c = codec;
  codecVerdict = judge({
    id: 'codec',
    statement: 'encode+decode of a small envelope at least as fast as JSON.stringify+JSON.parse',
    ratio: c.jsonOverOurs,
    direction: 'atLeast',
    threshold: 1,
  });
  const ours = c.variants[0]?.medianNsPerOp ?? Number.NaN;
  console.log(`\nEncode + decode of one INVOKE payload (median of ${c.rounds} rounds; ratio = time / ours):`);
  console.log(
    render(
      [{ header: 'codec' }, { header: 'encode+decode' }, { header: 'bytes' }, { header: 'time vs ours' }],
      c.variants.map((v) => [v.name, formatNs(v.medianNsPerOp), String(v.bytes), formatRatio(v.medianNsPerOp / ours)]),
    ),
  );
  console.log(`codec target: ${codecVerdict.statement}: ${formatRatio(codecVerdict.ratio)} (≥ 1.00×), ${verdictLabel(codecVerdict)}`);
}
if (goals.length > 0) {
  console.log(`\nGoals of issue 13 per profile (ratios are medians of per-round ratios, both sides measured in the same run) — ${goals.filter((g) => g.met).length} of ${goals.length} met:`);
  console.log(render(verdictColumns(), verdictRows(goals)));
}

const report = {
  bench: '@agentsocket/bench',
  startedAt: startedAt.toISOString(),
  finishedAt: new Date().toISOString(),
  machine,
  settings: { quick: options.quick, ...settings, codecRoundMs, code, only: options.only, profiles: profileIds, host: '127.0.0.1' },
  // Other processes on the machine (1-minute load average) when the run started and ended.
  load: { start: loadAtStart, end: loadAverage() },
  profiles: CALL_PROFILES.filter((p) => profileIds.includes(p.id)).map((p) => ({ ...p, rawEchoBytes: invokeFrameBytes(p) })),
  streamProfile: STREAM_PROFILE,
  variants: variants.map((v) => ({ id: v.id, label: v.label, bytesAt: v.bytesAt })),
  goals,
  codecVerdict,
  calls,
  stream,
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
