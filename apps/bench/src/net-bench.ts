import { fileURLToPath } from 'node:url';
import { agentEchoClient } from './clients/agent-echo.js';
import type { EchoClient } from './clients/echo-client.js';
import { rawEchoClient } from './clients/raw-echo.js';
import { isRecord, startChild } from './lib/child.js';
import { closedLoop, type LoadResult } from './lib/load.js';
import { collectGarbage, interleave } from './lib/rounds.js';
import { median, pairedRatios } from './lib/stats.js';
import { type ServerCounters, servers } from './servers/index.js';

export type Topology = 'processes' | 'inline';

/** One server under test, wherever it runs. */
interface ServerRef {
  url: string;
  counters(): Promise<ServerCounters>;
  stop(): Promise<void>;
}

export interface RoundResult extends LoadResult {
  /** Bytes on the server's TCP socket (both directions) per completed call in this round. */
  wireBytesPerCall: number;
  /** CPU time of this (client) process per call, µs; includes the load loop. */
  clientCpuUsPerCall: number;
  /** CPU time of the server process per call, µs (only with servers in child processes). */
  serverCpuUsPerCall: number;
}

export interface ScenarioResult {
  id: string;
  title: string;
  concurrency: number;
  /** Per variant, one entry per measured round. */
  rounds: Record<string, RoundResult[]>;
}

export const VARIANTS = { agent: 'Agent Socket (ws)', raw: 'raw ws echo' } as const;
export type VariantName = keyof typeof VARIANTS;

export interface NetworkBenchOptions {
  topology: Topology;
  rounds: number;
  roundMs: number;
  warmupMs: number;
  /** Size of the raw echo message: our INVOKE frame's size. */
  messageBytes: number;
  /** Scenario ids to run. @default all */
  scenarios?: readonly string[];
  onProgress?: (line: string) => void;
}

async function startServer(name: string, topology: Topology): Promise<ServerRef> {
  if (topology === 'inline') {
    const start = servers[name];
    if (!start) throw new Error(`no server "${name}"`);
    const s = await start();
    return { url: s.url, counters: async () => s.counters(), stop: () => s.close() };
  }
  // Run from source (tsx) or from dist (tsc): the child entry has this module's extension.
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const entry = fileURLToPath(new URL(`./server-process${ext}`, import.meta.url));
  const child = await startChild(entry, [name]);
  const ready = child.ready;
  if (!isRecord(ready) || typeof ready['url'] !== 'string') throw new Error(`server "${name}" reported no url`);
  return {
    url: ready['url'],
    counters: async () => {
      const c = await child.request('counters');
      if (!isRecord(c) || typeof c['bytesRead'] !== 'number' || typeof c['bytesWritten'] !== 'number' || typeof c['cpuUs'] !== 'number') {
        throw new Error(`server "${name}" sent bad counters`);
      }
      return { bytesRead: c['bytesRead'], bytesWritten: c['bytesWritten'], cpuUs: c['cpuUs'] };
    },
    stop: () => child.stop(),
  };
}

/**
 * Agent invoke round trips over our ws transport against a raw ws echo of the same message
 * size: throughput at 32 in flight, then latency at 1 in flight. Variants interleave round by round.
 */
export async function runNetworkBench(options: NetworkBenchOptions): Promise<ScenarioResult[]> {
  const [agentServer, rawServer] = await Promise.all([startServer('agent', options.topology), startServer('raw', options.topology)]);
  const clients: Partial<Record<VariantName, EchoClient>> = {};
  try {
    clients.agent = await agentEchoClient(agentServer.url);
    clients.raw = await rawEchoClient(rawServer.url, options.messageBytes);
    const targets: Record<VariantName, { client: EchoClient; server: ServerRef }> = {
      agent: { client: clients.agent, server: agentServer },
      raw: { client: clients.raw, server: rawServer },
    };
    const scenarios = [
      { id: 'throughput32', title: 'throughput, 32 in flight', concurrency: 32 },
      { id: 'latency1', title: 'latency, 1 in flight', concurrency: 1 },
    ].filter((s) => options.scenarios === undefined || options.scenarios.includes(s.id));
    const out: ScenarioResult[] = [];
    for (const s of scenarios) {
      const names: VariantName[] = ['agent', 'raw'];
      const results = await interleave<RoundResult, VariantName>(
        names.map((name) => ({
          name,
          run: async (round) => {
            const { client, server } = targets[name];
            const durationMs = round < 0 ? options.warmupMs : options.roundMs;
            const before = await server.counters();
            const cpu = process.cpuUsage();
            const r = await closedLoop(() => client.call(), { concurrency: s.concurrency, durationMs });
            const clientCpu = process.cpuUsage(cpu);
            const after = await server.counters();
            const bytes = after.bytesRead - before.bytesRead + (after.bytesWritten - before.bytesWritten);
            const perCall = (n: number) => (r.calls > 0 ? n / r.calls : Number.NaN);
            return {
              ...r,
              wireBytesPerCall: perCall(bytes),
              clientCpuUsPerCall: perCall(clientCpu.user + clientCpu.system),
              serverCpuUsPerCall: options.topology === 'processes' ? perCall(after.cpuUs - before.cpuUs) : Number.NaN,
            };
          },
        })),
        {
          rounds: options.rounds,
          between: collectGarbage,
          onResult: (name, round, r) =>
            options.onProgress?.(
              `${s.title} round ${round + 1}/${options.rounds}  ${VARIANTS[name].padEnd(18)} ` +
                `${Math.round(r.perSecond).toLocaleString('en-US')} calls/s, p50 ${((r.latency?.p50 ?? 0) * 1000).toFixed(1)} µs, ` +
                `cpu/call client ${r.clientCpuUsPerCall.toFixed(1)} µs server ${r.serverCpuUsPerCall.toFixed(1)} µs` +
                (r.errors > 0 ? `, ${r.errors} errors: ${r.firstError}` : ''),
            ),
        },
      );
      out.push({ ...s, rounds: Object.fromEntries(results) });
    }
    return out;
  } finally {
    await Promise.allSettled([clients.agent?.close(), clients.raw?.close()]);
    await Promise.allSettled([agentServer.stop(), rawServer.stop()]);
  }
}

/** Median over rounds of one figure of one variant. */
export function medianOf(s: ScenarioResult, variant: VariantName, pick: (r: RoundResult) => number): number {
  return median((s.rounds[variant] ?? []).map(pick));
}

/** Median of the per-round ratios agent / raw of one figure (rounds paired as measured). */
export function pairedRatio(s: ScenarioResult, pick: (r: RoundResult) => number): number {
  return median(pairedRatios((s.rounds['agent'] ?? []).map(pick), (s.rounds['raw'] ?? []).map(pick)));
}
