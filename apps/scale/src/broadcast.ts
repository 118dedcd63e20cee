import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadAverage, machineInfo, median, renderTable, writeJsonReport } from '@agentsocket/bench-kit';
import { Supervisor } from '@agentsocket/cluster/lib';
import { AgentClient, type Delivery } from '@agentsocket/core';
import { wsConnector } from '@agentsocket/ws';
import { NODE, type Proc, start, stop } from './procs.js';

/**
 * A broadcast from one agent to many over a cluster (a program, not a test): `--nodes` cluster
 * node processes (apps/cluster's node program) on one Redis with a fresh key prefix,
 * `--agents` agents spread evenly over them by `--client-processes` client processes, all joined
 * to one room of /team-scale. A sender on the first node broadcasts a `tick` to the room each
 * round; every receiver measures its delivery latency (its clock minus the sender's, one
 * machine). Interleaved in every round, the reference: one 1-1 `send` from the same sender to
 * one agent on another node, the same path without the fan-out.
 *   pnpm --filter @agentsocket/scale broadcast -- [--agents 10000] [--nodes 3] [--client-processes 4] [--rounds 10]
 *     [--delivery at-least-once] [--at-once 25] [--open-timeout-ms 30000] [--gap-ms 1000] [--timeout-ms 30000] [--hub-heartbeat-ms 1000]
 */
const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    agents: { type: 'string', default: '10000' },
    nodes: { type: 'string', default: '3' },
    'client-processes': { type: 'string', default: '4' },
    rounds: { type: 'string', default: '10' },
    'gap-ms': { type: 'string', default: '1000' },
    'timeout-ms': { type: 'string', default: '30000' },
    delivery: { type: 'string', default: 'at-least-once' },
    'at-once': { type: 'string', default: '25' },
    'open-timeout-ms': { type: 'string', default: '30000' },
    /** Passed to every node: a node silent for 3 beats is dead to the others (apps/cluster's default 1000). */
    'hub-heartbeat-ms': { type: 'string' },
    'redis-url': { type: 'string', default: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379' },
  },
});
const agents = Number(values.agents);
const nodeCount = Number(values.nodes);
const procs = Number(values['client-processes']);
const rounds = Number(values.rounds);
const gapMs = Number(values['gap-ms']);
const timeoutMs = Number(values['timeout-ms']);
const delivery = values.delivery as Delivery;
if (!['at-most-once', 'at-least-once', 'exactly-once'].includes(delivery)) throw new Error(`--delivery must be at-most-once, at-least-once or exactly-once`);
const NS = '/team-scale';
const ROOM = 'all';
const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

const prefix = `scale-bc-${Date.now().toString(36)}-${process.pid}:`;
console.log(`broadcast: ${agents} agents over ${nodeCount} nodes (Redis prefix ${prefix}), ${procs} client processes, ${rounds} rounds, ${delivery}`);
const load0 = loadAverage();
const supervisor = new Supervisor({
  count: nodeCount,
  redisUrl: values['redis-url'],
  prefix,
  idPrefix: 'scale-',
  readyTimeoutMs: 120_000,
  args: values['hub-heartbeat-ms'] === undefined ? [] : ['--hub-heartbeat-ms', values['hub-heartbeat-ms']], // a busy machine compiles the node program slowly
  log: (id, line) => {
    if (!/"event":"ready"|open files|draining/.test(line)) console.log(`  [${id}] ${line}`);
  },
});
const clients: Proc[] = [];
let sender: AgentClient | undefined;
let exitCode = 1;
try {
  await supervisor.start();
  const ports = supervisor.ports;
  const began = performance.now();
  const each = Math.ceil(agents / procs);
  for (let i = 0; i < procs; i++) {
    const count = Math.min(each, agents - i * each);
    clients.push(
      start([...NODE, here('./broadcast-clients.ts'), '--ports', ports.join(','), '--first', String(i * each), '--count', String(count), '--ns', NS, '--room', ROOM, '--at-once', values['at-once'], '--open-timeout-ms', values['open-timeout-ms']]),
    );
  }
  const opened = await Promise.all(clients.map((c) => c.next()));
  const joined = opened.reduce((a, r) => a + Number(r['opened']), 0);
  const failed = opened.reduce((a, r) => a + Number(r['failed']), 0);
  console.log(
    `  ${joined} agents connected and joined in ${((performance.now() - began) / 1000).toFixed(1)} s` +
      (failed ? `; ${failed} failed, e.g. ${String(opened.find((r) => r['firstError'])?.['firstError'])}` : ''),
  );
  // The sender is on the first node; agent-1 (the 1-1 reference's receiver) is on the second.
  sender = new AgentClient({ connect: wsConnector({ url: `ws://127.0.0.1:${ports[0]}/asp` }), namespace: NS, name: 'sender' });
  await sender.connect();

  interface Round {
    round: number;
    reached: number;
    received: number;
    missing: number;
    p50: number;
    p99: number;
    max: number;
    oneToOneMs: number;
    load: number;
  }
  const results: Round[] = [];
  for (let round = 0; round < rounds; round++) {
    // The reference: one message to one agent on another node.
    // agent-1 is the second agent of the first client process.
    const pinged = clients[0]?.next();
    await sender.send('agent-1', 'ping', { round, sentAt: now() }, { delivery });
    const ping = (await pinged) ?? {};
    const oneToOneMs = Number(ping['latency']);

    const pending = clients.map((c) => c.next());
    const timer = setTimeout(() => {
      for (const c of clients) c.child.stdin?.write(`flush ${round}\n`);
    }, timeoutMs);
    const reached = await sender.broadcast('tick', { round, sentAt: now() }, { room: ROOM, delivery });
    const reports = await Promise.all(pending);
    clearTimeout(timer);
    const latencies = reports.flatMap((r) => (Array.isArray(r['latencies']) ? (r['latencies'] as number[]) : [])).sort((a, b) => a - b);
    const missing = reports.reduce((a, r) => a + Number(r['missing']), 0);
    const disconnects = reports.reduce((a, r) => a + Number(r['disconnects']), 0);
    const firstDisconnect = reports.map((r) => r['firstDisconnect']).find((d) => d !== undefined);
    if (disconnects > 0) console.log(`  ${disconnects} agents lost their connection so far, e.g. ${String(firstDisconnect)}`);
    const r: Round = {
      round,
      reached,
      received: latencies.length,
      missing,
      p50: quantile(latencies, 0.5),
      p99: quantile(latencies, 0.99),
      max: latencies[latencies.length - 1] ?? Number.NaN,
      oneToOneMs,
      load: loadAverage(),
    };
    results.push(r);
    console.log(
      `  round ${round}: reached ${reached}, received ${r.received} (${missing} missing); p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, max ${r.max.toFixed(1)} ms; 1-1 ${oneToOneMs.toFixed(1)} ms; load ${r.load}`,
    );
    await sleep(gapMs);
  }
  const load1 = loadAverage();
  const med = (f: (r: Round) => number) => median(results.map(f));
  console.log(
    `\n${renderTable(
      [{ header: 'figure' }, { header: 'median over rounds' }],
      [
        ['recipients reached', String(med((r) => r.reached))],
        ['delivery p50', `${med((r) => r.p50).toFixed(1)} ms`],
        ['delivery p99', `${med((r) => r.p99).toFixed(1)} ms`],
        ['delivery max', `${med((r) => r.max).toFixed(1)} ms`],
        ['1-1 send to another node (reference)', `${med((r) => r.oneToOneMs).toFixed(1)} ms`],
      ],
    )}`,
  );
  const lost = results.reduce((a, r) => a + r.missing, 0);
  console.log(`load average ${load0} → ${load1}; ${lost} deliveries missing over all rounds`);
  const path = writeJsonReport(fileURLToPath(new URL('../../../reports/', import.meta.url)), 'scale-broadcast', {
    machine: machineInfo(),
    load: [load0, load1],
    options: { agents, nodes: nodeCount, procs, rounds, gapMs, delivery, joined, failed },
    rounds: results,
  });
  console.log(`wrote ${path}`);
  exitCode = failed === 0 && lost === 0 && results.every((r) => r.reached === agents) ? 0 : 1;
} finally {
  await sender?.close();
  await Promise.all(clients.map(stop));
  await supervisor.stop();
}
process.exit(exitCode);
