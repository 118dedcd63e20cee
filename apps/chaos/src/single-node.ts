import { AgentClient, AgentServer, type Connector } from '@agentsocket/core';
import { socketIoConnector } from '@agentsocket/socketio';
import { socketIoServer } from '@agentsocket/socketio/server';
import { wsConnector, wsServer } from '@agentsocket/ws';
import { chaosAgent } from './agent.js';
import { Ledger } from './ledger.js';
import { type ChaosOptions, type ChaosStats, startChaosProxy } from './proxy.js';
import { formatFailures, type ReconnectStats, watchReconnects } from './reconnects.js';
import { type Tally, table, tally, tallyRows } from './tally.js';
import { runWorkload } from './workload.js';

export type TransportName = 'ws' | 'socketio';

export type Faults = Omit<ChaosOptions, 'upstreamPort' | 'port' | 'seed' | 'onFault'>;

/** The faults of the CI run: every connection cut after 50–200 ms, some stalled, some attempts sent twice, late upstream closes. */
export const DEFAULT_FAULTS: Faults = {
  cut: { minMs: 50, maxMs: 200 },
  delay: { minMs: 0, maxMs: 2 },
  stall: { probability: 0.1, after: { minMs: 0, maxMs: 100 }, for: { minMs: 50, maxMs: 300 } },
  duplicate: { probability: 0.05, windowMs: 50, holdMs: { minMs: 0, maxMs: 100 } },
  lingerUpstream: { minMs: 0, maxMs: 100 },
};

export interface SingleNodeOptions {
  transport: TransportName;
  /** @default 2000 */
  calls?: number;
  /** @default 32 */
  inFlight?: number;
  /** Clients sharing the calls. @default 4 */
  clients?: number;
  /** @default 1 */
  seed?: number;
  /** @default DEFAULT_FAULTS */
  faults?: Faults;
  /** @default 30000 */
  lostAfterMs?: number;
  /** Stop issuing calls at this time (ms since the epoch), for a soak by time. */
  until?: number;
  /** Progress and the summary. @default silent */
  out?: { write(s: string): unknown };
}

export interface SingleNodeResult {
  transport: TransportName;
  seed: number;
  tally: Tally;
  reconnects: ReconnectStats;
  proxy: ChaosStats;
  durationMs: number;
  summary: string;
}

/**
 * One AgentServer (in this process, memory session store and dedup) behind the chaos proxy; the
 * workload's clients connect through the proxy and reconnect and resume after every fault.
 */
export async function runSingleNode(options: SingleNodeOptions): Promise<SingleNodeResult> {
  const seed = options.seed ?? 1;
  const ledger = new Ledger();
  const agentServer = new AgentServer(chaosAgent('node-1', ledger));
  agentServer.on('error', () => {}); // a cut mid-frame is reported here; the counts judge the run
  const served = await serve(options.transport, agentServer);
  const proxy = await startChaosProxy({ ...(options.faults ?? DEFAULT_FAULTS), seed, upstreamPort: served.port });
  const connect = connector(options.transport, proxy.port);
  const clients: AgentClient[] = [];
  const lostAfterMs = options.lostAfterMs ?? 30_000;
  try {
    // Connected before the faults start: the first connect() is not what this run is about.
    proxy.setFaults(false);
    for (let i = 0; i < (options.clients ?? 4); i++) {
      const client = new AgentClient({ connect, name: `chaos-${i}`, reconnect: { initialMs: 10, maxMs: 500 } });
      client.on('error', () => {});
      clients.push(client);
      await client.connect();
    }
    const watch = watchReconnects(clients);
    proxy.setFaults(true);
    proxy.cutAll();
    const began = Date.now();
    const until = options.until;
    const records = await runWorkload({
      clients,
      calls: options.calls ?? 2000,
      inFlight: options.inFlight ?? 32,
      seed,
      runId: `${options.transport}-${seed}`,
      lostAfterMs,
      ...(until === undefined ? {} : { stop: () => Date.now() >= until }),
    });
    const durationMs = Date.now() - began;
    proxy.setFaults(false);
    const t = tally(records, ledger, lostAfterMs);
    const reconnects = watch.stats();
    watch.stop();
    const summary = table(`chaos proxy, one node, ${options.transport}, seed ${seed}, ${(durationMs / 1000).toFixed(1)} s`, [
      ...tallyRows(t),
      ['connections cut', `${proxy.stats.cuts} of ${proxy.stats.connections}`],
      ['stalls, duplicated attempts', `${proxy.stats.stalls}, ${proxy.stats.duplicates}`],
      ['client reconnects', `${reconnects.reconnects} (${reconnects.resumed} resumed, ${reconnects.attempts} attempts)`],
      ['reconnect wait', `p50 ${reconnects.p50WaitMs} ms, max ${reconnects.maxWaitMs} ms`],
      ['failed attempts', formatFailures(reconnects)],
    ]);
    options.out?.write(summary);
    return { transport: options.transport, seed, tally: t, reconnects, proxy: { ...proxy.stats }, durationMs, summary };
  } finally {
    await Promise.allSettled(clients.map((c) => c.close()));
    await proxy.close();
    await served.close();
  }
}

async function serve(transport: TransportName, agentServer: AgentServer): Promise<{ port: number; close(): Promise<void> }> {
  if (transport === 'ws') {
    const server = await wsServer({ agentServer, port: 0, host: '127.0.0.1' });
    const port = server.address()?.port;
    if (port === undefined) throw new Error('ws server has no port');
    return { port, close: () => server.close() };
  }
  const server = await socketIoServer({ agentServer, port: 0, host: '127.0.0.1' });
  if (server.port === undefined) throw new Error('Socket.IO server has no port');
  return { port: server.port, close: () => server.close() };
}

function connector(transport: TransportName, port: number): Connector {
  return transport === 'ws' ? wsConnector({ url: `ws://127.0.0.1:${port}/asp` }) : socketIoConnector({ url: `http://127.0.0.1:${port}` });
}
