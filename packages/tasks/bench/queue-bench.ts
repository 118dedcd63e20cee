import { once } from 'node:events';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { interleave, latencySummary, loadAverage, machineInfo, median, renderTable, writeJsonReport } from '@agentsocket/bench-kit';
import { RedisConnection } from '@agentsocket/redis';
import { type Lease, RedisStreamsQueue } from '../src/index.js';
import { BareSetup, benchPrefix, dropPrefix, TaskSetup } from './setups.js';

/**
 * The task queue benchmark (issue 14, Speed): a program, not a test. Prints a table and writes
 * JSON to reports/. Rounds are interleaved; figures are medians over rounds.
 *   pnpm --filter @agentsocket/tasks bench [--rounds 5] [--samples 300] [--tasks 20000] [--workers 20] [--lease 1000]
 */
const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    rounds: { type: 'string', default: '5' },
    samples: { type: 'string', default: '300' },
    tasks: { type: 'string', default: '20000' },
    workers: { type: 'string', default: '20' },
    concurrency: { type: 'string', default: '16' },
    lease: { type: 'string', default: '1000' },
    counted: { type: 'string', default: '200' },
    'redis-url': { type: 'string', default: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379' },
  },
});
const url = values['redis-url'];
const rounds = Math.max(1, Number(values.rounds));
const samples = Math.max(10, Number(values.samples));
const taskCount = Math.max(100, Number(values.tasks));
const workerCount = Math.max(1, Number(values.workers));
const concurrency = Math.max(1, Number(values.concurrency));
const leaseMs = Math.max(100, Number(values.lease));
const counted = Math.max(0, Number(values.counted));

const fmt = (ms: number) => `${ms.toFixed(3)} ms`;

/**
 * This process's CPU time (user + system) per item of each variant's round, by phase: a figure a
 * busy machine stretches less than wall time (it still counts the work the load adds, e.g. cache
 * misses). Redis's CPU is not in it.
 */
const cpu = new Map<string, number[]>();
function record(what: string, before: NodeJS.CpuUsage, items: number): void {
  const used = process.cpuUsage(before);
  const list = cpu.get(what) ?? [];
  list.push((used.user + used.system) / 1000 / items);
  cpu.set(what, list);
}
async function cpuPer<T>(round: number, what: string, items: number, run: () => Promise<T>): Promise<T> {
  const before = process.cpuUsage();
  const value = await run();
  if (round >= 0) record(what, before, items);
  return value;
}
const rate = (n: number) => `${Math.round(n).toLocaleString('en-US')}/s`;

// 1. Round trip, one task in flight: submit → claim → complete → result, against XADD → XREADGROUP → XACK.
async function roundTrips(): Promise<{ tasks: number[]; bare: number[]; ratios: number[] }> {
  const tasks = new TaskSetup(url);
  await tasks.startWorkers(1, 1);
  const bare = new BareSetup(url);
  await bare.start(1);
  const results = await interleave(
    [
      {
        name: 'tasks',
        run: (round) =>
          cpuPer(round, 'round trip, tasks', samples, async () => {
            const lat: number[] = [];
            for (let i = 0; i < samples; i++) {
              const t = performance.now();
              const { id } = await tasks.client.submit({ tool: 'echo', args: { n: i } });
              await tasks.client.result(id);
              lat.push(performance.now() - t);
            }
            return latencySummary(lat).p50;
          }),
      },
      {
        name: 'bare',
        run: (round) =>
          cpuPer(round, 'round trip, bare', samples, async () => {
            const lat: number[] = [];
            for (let i = 0; i < samples; i++) {
              const t = performance.now();
              await bare.roundTrip(`r${i}`);
              lat.push(performance.now() - t);
            }
            return latencySummary(lat).p50;
          }),
      },
    ],
    { rounds, onResult: (v, r, p50) => console.log(`  round trip ${v} round ${r}: p50 ${fmt(p50)}`) },
  );
  await tasks.close();
  await bare.close();
  const t = results.get('tasks') ?? [];
  const b = results.get('bare') ?? [];
  return { tasks: t, bare: b, ratios: t.map((x, i) => x / (b[i] ?? Number.NaN)) };
}

// 2. Throughput: taskCount tasks through workerCount workers, submitted 256 at a time.
async function throughputs(): Promise<{ tasks: number[]; bare: number[] }> {
  const results = await interleave(
    [
      {
        name: 'tasks',
        run: async (round) => {
          const n = round < 0 ? Math.min(2000, taskCount) : taskCount;
          const setup = new TaskSetup(url);
          await setup.startWorkers(workerCount, concurrency);
          const before = process.cpuUsage();
          const t = performance.now();
          let next = 0;
          const submitter = async () => {
            while (next < n) {
              next++;
              await setup.client.submit({ tool: 'echo', args: { n: next } });
            }
          };
          await Promise.all(Array.from({ length: 256 }, submitter));
          while (setup.settled < n) await new Promise((r) => setTimeout(r, 5));
          const perSecond = n / ((performance.now() - t) / 1000);
          if (round >= 0) record('throughput, tasks', before, n);
          await setup.close();
          return perSecond;
        },
      },
      {
        name: 'bare',
        run: async (round) => {
          const n = round < 0 ? Math.min(2000, taskCount) : taskCount;
          const setup = new BareSetup(url);
          await setup.start(workerCount);
          const before = process.cpuUsage();
          const t = performance.now();
          let next = 0;
          const submitter = async () => {
            while (next < n) {
              next++;
              await setup.add(`t${next}`);
            }
          };
          await Promise.all(Array.from({ length: 256 }, submitter));
          while (setup.acked < n) await new Promise((r) => setTimeout(r, 5));
          const perSecond = n / ((performance.now() - t) / 1000);
          if (round >= 0) record('throughput, bare', before, n);
          await setup.close();
          return perSecond;
        },
      },
    ],
    { rounds, onResult: (v, r, x) => console.log(`  throughput ${v} round ${r}: ${rate(x)}`) },
  );
  return { tasks: results.get('tasks') ?? [], bare: results.get('bare') ?? [] };
}

// 3. Lease expiry: a consumer takes an entry and stops without acking (as a dead worker would);
// how long until another consumer's sweep gets it, against the configured lease.
async function redeliveries(): Promise<number[]> {
  const out: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const prefix = benchPrefix();
    const a = new RedisConnection({ url });
    const b = new RedisConnection({ url });
    const dead = new RedisStreamsQueue({ connection: a, prefix, leaseMs });
    const live = new RedisStreamsQueue({ connection: b, prefix, leaseMs });
    let taken = 0;
    let redelivered = 0;
    await new Promise<Lease>((resolve) => {
      void dead.consume(['echo'], (l) => {
        taken = performance.now();
        resolve(l);
      }, { prefetch: 1, name: 'dead' });
      void dead.push({ id: `x${round}`, tool: 'echo', priority: 'normal' });
    });
    // The holder stops without acking or renewing; the other consumer is already waiting.
    const got = new Promise<void>((resolve) => {
      void live.consume(['echo'], () => {
        redelivered = performance.now();
        resolve();
      }, { prefetch: 1, name: 'live' });
    });
    await dead.close();
    await got;
    out.push(redelivered - taken);
    console.log(`  redelivery round ${round}: ${fmt(redelivered - taken)} (lease ${leaseMs} ms)`);
    await live.close();
    await a.close();
    await b.close();
    await dropPrefix(url, prefix);
  }
  return out;
}

// 0. What one round trip costs Redis: every command under the setup's prefix seen by MONITOR
// (other clients of a shared Redis are filtered out), split into commands the processes sent and
// commands scripts ran. Counted apart from the timed phases (MONITOR slows Redis down).
interface Counts {
  sent: number;
  inScripts: number;
  byName: Record<string, number>;
}
async function countCommands(): Promise<{ tasks: Counts; bare: Counts } | undefined> {
  if (counted === 0) return undefined;
  const count = async (prefix: string, run: () => Promise<void>): Promise<Counts> => {
    // A plain socket in MONITOR mode: each line is +<time> [<db> <client or lua>] "command" "arg" ...
    const { hostname, port } = new URL(url);
    const monitor = connect({ host: hostname || '127.0.0.1', port: Number(port || 6379) });
    await once(monitor, 'connect');
    monitor.write('MONITOR\r\n');
    const out: Counts = { sent: 0, inScripts: 0, byName: {} };
    let rest = '';
    monitor.setEncoding('utf8');
    monitor.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\r\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('+') || !line.includes(prefix)) continue;
        const source = /\[\d+ ([^\]]+)\]/.exec(line)?.[1] ?? '';
        const command = /\] "([^"]+)"/.exec(line)?.[1] ?? '?';
        const lua = source === 'lua';
        const name = `${lua ? 'lua ' : ''}${command.toUpperCase()}`;
        out.byName[name] = (out.byName[name] ?? 0) + 1;
        if (lua) out.inScripts++;
        else out.sent++;
      }
    });
    await new Promise((r) => setTimeout(r, 100));
    await run();
    await new Promise((r) => setTimeout(r, 300));
    monitor.destroy();
    out.sent /= counted;
    out.inScripts /= counted;
    for (const k of Object.keys(out.byName)) out.byName[k] = Math.round(((out.byName[k] ?? 0) / counted) * 100) / 100;
    return out;
  };
  const tasks = new TaskSetup(url);
  await tasks.startWorkers(1, 1);
  for (let i = 0; i < 20; i++) await tasks.client.result((await tasks.client.submit({ tool: 'echo', args: { n: i } })).id);
  const t = await count(tasks.prefix, async () => {
    for (let i = 0; i < counted; i++) await tasks.client.result((await tasks.client.submit({ tool: 'echo', args: { n: i } })).id);
  });
  await tasks.close();
  const bare = new BareSetup(url);
  await bare.start(1);
  const b = await count(bare.prefix, async () => {
    for (let i = 0; i < counted; i++) await bare.roundTrip(`c${i}`);
  });
  await bare.close();
  const show = (name: string, c: Counts) =>
    console.log(
      `  commands per round trip, ${name}: ${c.sent.toFixed(2)} sent, ${c.inScripts.toFixed(2)} run by scripts (${Object.entries(c.byName)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')})`,
    );
  show('tasks', t);
  show('bare', b);
  return { tasks: t, bare: b };
}

console.log(`queue bench: ${rounds} rounds, ${samples} round trips per round, ${taskCount} tasks × ${workerCount} workers, lease ${leaseMs} ms`);
const load0 = loadAverage();
const commands = await countCommands();
const rt = await roundTrips();
const tp = await throughputs();
const rd = await redeliveries();
const load1 = loadAverage();

const rtRatio = median(rt.ratios);
const rows = [
  ['round trip p50, tasks (Redis Streams)', fmt(median(rt.tasks)), `${rtRatio.toFixed(2)}× the bare loop`, '≤ 3×', rtRatio <= 3 ? 'met' : 'missed'],
  ['round trip p50, bare XADD/XREADGROUP/XACK', fmt(median(rt.bare)), '', '', ''],
  [`throughput, ${workerCount} workers`, rate(median(tp.tasks)), '', '≥ 5,000/s', median(tp.tasks) >= 5000 ? 'met' : 'missed'],
  [`throughput, bare loop, ${workerCount} consumers`, rate(median(tp.bare)), '', '', ''],
  [
    'lease-expiry redelivery',
    fmt(median(rd)),
    `max ${fmt(Math.max(...rd))}`,
    `≤ lease + 1 s = ${leaseMs + 1000} ms`,
    Math.max(...rd) <= leaseMs + 1000 ? 'met' : 'missed',
  ],
];
const cpuMedian = (what: string) => median(cpu.get(what) ?? [Number.NaN]);
for (const phase of ['round trip', 'throughput']) {
  const t = cpuMedian(`${phase}, tasks`);
  const b = cpuMedian(`${phase}, bare`);
  rows.push([`process CPU per task, ${phase}`, fmt(t), `bare ${fmt(b)} (${(t / b).toFixed(2)}×)`, '', '']);
}
console.log(`\n${renderTable([{ header: 'measure' }, { header: 'median' }, { header: 'vs' }, { header: 'goal' }, { header: '' }], rows)}`);
console.log(`load average ${load0} → ${load1} (the machine is shared; see docs/benchmarks.md)`);
const path = writeJsonReport(fileURLToPath(new URL('../../../reports/', import.meta.url)), 'tasks-queue', {
  machine: machineInfo(),
  load: [load0, load1],
  options: { rounds, samples, taskCount, workerCount, concurrency, leaseMs },
  roundTrip: rt,
  throughput: tp,
  redeliveryMs: rd,
  commandsPerRoundTrip: commands,
  cpuMsPerTask: Object.fromEntries(cpu),
});
console.log(`wrote ${path}`);
process.exit(0);
