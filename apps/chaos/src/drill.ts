import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AgentClient } from '@agentsocket/core';
import { type Cluster, DEFAULT_HUB_HEARTBEAT_MS, type RunningRedis, startCluster, startRedisServer, waitFor } from '@agentsocket/cluster/lib';
import { parseEffectLine } from './agent.js';
import { Ledger } from './ledger.js';
import { formatFailures, type ReconnectStats, watchReconnects } from './reconnects.js';
import { runFaultClock } from './fault-clock.js';
import { Rng } from './rng.js';
import { type Latency, summarize, type Tally, table, tally, tallyRows } from './tally.js';
import { type CallKind, type CallRecord, KINDS, runWorkload } from './workload.js';

/** The recovery targets of issue 10: with a node killed every 3 s. */
export const TARGETS = { reconnectWaitMs: 3000, extraLatencyMs: 5000 } as const;

export interface DrillOptions {
  /** @default 3 */
  nodes?: number;
  /** How long the faults go on, ms. @default 30000 */
  durationMs?: number;
  /** Stop after this many calls even if time is left. @default unbounded */
  calls?: number;
  /** Exactly-once calls in flight. @default 64 */
  inFlight?: number;
  /** At-least-once calls and streams in flight besides them. @default 16 */
  othersInFlight?: number;
  /** @default 8 */
  clients?: number;
  /** @default 1 */
  seed?: number;
  /** A node is SIGKILLed this often (and restarted at once). @default 3000 */
  killEveryMs?: number;
  /** Restart Redis (SIGKILL, then start from its append-only file) once, at this share of the run. @default 0.5 */
  redisRestartAt?: number;
  /** Calls in the fault-free warm-up that gives each kind's normal latency. @default 400 */
  baselineCalls?: number;
  /** @default 20000 */
  lostAfterMs?: number;
  /** Extra flags for every node. */
  nodeArgs?: string[];
  out?: { write(s: string): unknown };
}

export interface DrillResult {
  seed: number;
  tally: Tally;
  reconnects: ReconnectStats;
  kills: number;
  redisRestarts: number;
  /** Latency of each kind without faults (the warm-up). */
  baseline: Record<CallKind, Latency>;
  /**
   * The longest a completed call took beyond its kind's fault-free p99, ms, among calls that were
   * not running while Redis restarted (so what node kills cost), and per kind.
   */
  maxExtraLatencyMs: number;
  extraByKind: Record<CallKind, number>;
  /** The same for the calls running while Redis restarted (held, as documented, until it is back). */
  maxExtraLatencyRedisMs: number;
  durationMs: number;
  verdicts: { reconnect: boolean; latency: boolean };
  summary: string;
}

const NODE_ENTRY = fileURLToPath(new URL('./drill-node.ts', import.meta.url));
const TEAM = '/team-chaos';

/**
 * The cluster drill: N node processes on a private Redis (append-only file, fsync always), the
 * clients through nginx, a node SIGKILLed every few seconds and restarted, Redis restarted once,
 * while 64 exactly-once calls and 16 others are in flight. Counts what the one-node suite counts, and how long recovery took.
 */
export async function runDrill(options: DrillOptions = {}): Promise<DrillResult> {
  const seed = options.seed ?? 1;
  const rng = new Rng(seed);
  const out = options.out;
  const lostAfterMs = options.lostAfterMs ?? 20_000;
  const ledger = new Ledger();
  const nodeLog: string[] = [];
  let redis: RunningRedis | undefined;
  let cluster: Cluster | undefined;
  const clients: AgentClient[] = [];
  try {
    redis = await startRedisServer('redis-server', { aof: true });
    cluster = await startCluster({
      redisUrl: redis.url,
      prefix: `asp-chaos:${randomUUID()}:`,
      count: options.nodes ?? 3,
      nodeEntry: NODE_ENTRY,
      ...(options.nodeArgs ? { nodeArgs: options.nodeArgs } : {}),
      log: (node, line) => {
        const effect = parseEffectLine(line);
        if (effect) ledger.record(effect);
        else {
          nodeLog.push(`[${node}] ${line}`);
          if (nodeLog.length > 200) nodeLog.shift();
        }
      },
    });
    const running = cluster;
    for (let i = 0; i < (options.clients ?? 8); i++) {
      const client = new AgentClient({ connect: await running.connector(), name: `chaos-${i}`, namespace: TEAM, reconnect: { initialMs: 10, maxMs: 500 } });
      client.on('error', () => {});
      clients.push(client);
      await client.connect();
    }
    const inFlight = options.inFlight ?? 64;
    const others = options.othersInFlight ?? 16;
    // 64 exactly-once calls in flight, and at-least-once calls and streams beside them.
    const load = (run: string, calls: number, stop?: () => boolean) => {
      const share = (n: number) => Math.max(1, Math.round((calls * n) / (inFlight + others)));
      const common = { clients, lostAfterMs, ...(stop ? { stop } : {}) };
      return Promise.all([
        runWorkload({ ...common, calls: share(inFlight), inFlight, kinds: ['exactly-once'], seed, runId: `${run}-once` }),
        runWorkload({ ...common, calls: share(others), inFlight: others, kinds: ['at-least-once', 'stream'], seed: seed + 1, runId: `${run}-others` }),
      ]).then(([a, b]) => [...a, ...b]);
    };

    // Warm-up without faults: each kind's normal latency at this load, on this machine, now.
    const warm = await load(`warm-${seed}`, options.baselineCalls ?? 400);
    const baseline = latencyByKind(warm);

    const watch = watchReconnects(clients);
    const durationMs = options.durationMs ?? 30_000;
    const killEveryMs = options.killEveryMs ?? 3000;
    const began = Date.now();
    const end = began + durationMs;
    const faults = runFaultClock({
      supervisor: running.supervisor,
      redis,
      rng,
      began,
      end,
      everyMs: killEveryMs,
      redisAt: began + durationMs * (options.redisRestartAt ?? 0.5),
      out,
    });
    faults.catch(() => {}); // awaited below, after the calls
    const records = await load(`drill-${seed}`, options.calls ?? Number.MAX_SAFE_INTEGER, () => Date.now() >= end);
    const tookMs = Date.now() - began;
    const { kills, skipped, redisRestarts, redisWindow, downMs } = await faults;
    // Every completed exactly-once call's effect line has been printed; wait until it is read.
    const done = records.filter((r) => r.kind === 'exactly-once' && r.status === 'ok');
    await waitFor(() => done.every((r) => ledger.effectsOf(r.key) > 0), 'the effects of completed calls to be read', 10_000).catch(() => {});
    const t = tally(records, ledger, lostAfterMs);
    const reconnects = watch.stats();
    watch.stop();
    const extraByKind: Record<CallKind, number> = { 'exactly-once': 0, 'at-least-once': 0, stream: 0 };
    let maxExtraLatencyRedisMs = 0;
    for (const r of records) {
      if (r.status !== 'ok' || r.settledAt === undefined) continue;
      const extra = Math.max(0, r.settledAt - r.issuedAt - baseline[r.kind].p99);
      if (r.issuedAt <= redisWindow.to && r.settledAt >= redisWindow.from) maxExtraLatencyRedisMs = Math.max(maxExtraLatencyRedisMs, extra);
      else extraByKind[r.kind] = Math.max(extraByKind[r.kind], extra);
    }
    const maxExtraLatencyMs = Math.max(...KINDS.map((k) => extraByKind[k]));
    const upgrades = await nginxAnswers(running.nginx.dir);
    const verdicts = { reconnect: reconnects.maxWaitMs <= TARGETS.reconnectWaitMs, latency: maxExtraLatencyMs <= TARGETS.extraLatencyMs };
    const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
    const summary = table(`cluster drill, ${options.nodes ?? 3} nodes behind nginx, seed ${seed}, ${(durationMs / 1000).toFixed(0)} s of faults, ${(tookMs / 1000).toFixed(1)} s in all`, [
      ...tallyRows(t),
      [
        'faults',
        `${kills} node SIGKILLs (one every ${killEveryMs / 1000} s; ${skipped} ticks skipped with one node up), ${redisRestarts} Redis restart; a killed node was back after p50 ${summarize(downMs).p50} ms, max ${summarize(downMs).max} ms`,
      ],
      ['nodes', `hub heartbeat ${heartbeatOf(options.nodeArgs)}; a dead node is known after 3 missed beats`],
      ['baseline p99 (no faults)', KINDS.map((k) => `${k} ${baseline[k].p99} ms`).join(', ')],
      ['client reconnects', `${reconnects.reconnects} (${reconnects.resumed} resumed, ${reconnects.attempts} attempts)`],
      ['nginx answers to /asp (ended)', upgrades],
      ['failed attempts', formatFailures(reconnects)],
      [
        'max reconnect wait',
        `${reconnects.maxWaitMs} ms (p50 ${reconnects.p50WaitMs} ms); target ≤ ${TARGETS.reconnectWaitMs} ms: ${verdict(verdicts.reconnect)}`,
      ],
      [
        'max extra call latency',
        `${maxExtraLatencyMs} ms over the kind's fault-free p99 (${KINDS.map((k) => `${k} ${extraByKind[k]}`).join(', ')}); target ≤ ${TARGETS.extraLatencyMs} ms: ${verdict(verdicts.latency)}`,
      ],
      ['extra latency, Redis restart', `${maxExtraLatencyRedisMs} ms for the calls running while Redis was down (held until it was back)`],
    ]);
    out?.write(summary);
    const twice = records.filter((r) => r.kind === 'exactly-once' && ledger.attemptsOf(r.key) > 1);
    for (const r of twice.slice(0, 10)) {
      const how = ledger.effectsOf(r.key) > 1 ? 'DUPLICATED' : 'absorbed (same idempotency key)';
      out?.write(`  effect run twice, ${how}: ${r.key} on ${ledger.effectNodesOf(r.key).join(' then ')}, call took ${(r.settledAt ?? r.issuedAt) - r.issuedAt} ms\n`);
    }
    if (t.lost + t.duplicated > 0) out?.write(`last node log lines:\n${nodeLog.slice(-20).join('\n')}\n`);
    return { seed, tally: t, reconnects, kills, redisRestarts, baseline, maxExtraLatencyMs, extraByKind, maxExtraLatencyRedisMs, durationMs: tookMs, verdicts, summary };
  } finally {
    await Promise.allSettled(clients.map((c) => c.close()));
    await cluster?.stop();
    await redis?.remove();
  }
}

function heartbeatOf(args: readonly string[] = []): string {
  const i = args.indexOf('--hub-heartbeat-ms');
  return i >= 0 && args[i + 1] !== undefined ? `${args[i + 1]} ms` : `${DEFAULT_HUB_HEARTBEAT_MS} ms, the default`;
}

/** How nginx answered the WebSocket upgrades, from its access log: `101 ×n, 502 ×m`. */
async function nginxAnswers(dir: string): Promise<string> {
  const log = await readFile(join(dir, 'access.log'), 'utf8').catch(() => '');
  const counts = new Map<string, number>();
  for (const m of log.matchAll(/"GET \/asp[^"]*" (\d{3})/g)) counts.set(m[1] ?? '?', (counts.get(m[1] ?? '?') ?? 0) + 1);
  return [...counts].sort().map(([status, n]) => `${status} ×${n}`).join(', ') || 'none';
}

function latencyByKind(records: readonly CallRecord[]): Record<CallKind, Latency> {
  const by: Record<CallKind, number[]> = { 'exactly-once': [], 'at-least-once': [], stream: [] };
  for (const r of records) if (r.status === 'ok' && r.settledAt !== undefined) by[r.kind].push(r.settledAt - r.issuedAt);
  return { 'exactly-once': summarize(by['exactly-once']), 'at-least-once': summarize(by['at-least-once']), stream: summarize(by.stream) };
}
