import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { closedLoop, collectGarbage, interleave, loadAverage, machineInfo, median, renderTable, writeJsonReport } from '@agentsocket/bench-kit';
import * as core from '@agentsocket/core';
import { wsConnector, wsServer } from '@agentsocket/ws';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, type ReadableSpan, type SpanExporter, TracerProvider } from '@opentelemetry/sdk-trace';
import { AgentSocketTelemetry } from '../src/index.js';
import { writeReferenceCore } from './reference-core.js';

/**
 * What instrumentation costs on the ws invoke path: a program, not a test. One echo tool served
 * over @agentsocket/ws on loopback, server and client in this process; variants interleaved, medians
 * over rounds, ratios to the same-run reference (core with the hooks cut out).
 *   pnpm --filter @agentsocket/otel bench [--rounds 7] [--round-ms 1500]
 */
const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: { rounds: { type: 'string', default: '7' }, 'round-ms': { type: 'string', default: '1500' } },
});
const rounds = Math.max(1, Number(values.rounds));
const roundMs = Math.max(100, Number(values['round-ms']));

type Core = typeof core;
type Name = 'reference' | 'off' | 'api-noop' | 'sdk';
interface Setup {
  call(): Promise<unknown>;
  close(): Promise<void>;
}

/** Spans are exported in batches and dropped: the SDK's full recording cost, no I/O. */
class DiscardingExporter implements SpanExporter {
  exported = 0;
  export(spans: ReadableSpan[], done: (result: { code: 0 }) => void): void {
    this.exported += spans.length;
    done({ code: 0 });
  }
  async shutdown(): Promise<void> {}
}

async function setup(c: Core, otel: AgentSocketTelemetry | undefined): Promise<Setup> {
  const tools = { echo: c.tool({ input: { type: 'object', properties: { text: { type: 'string' } } }, handler: (args: Record<string, unknown>) => args }) };
  const agent = c.defineAgent({ name: 'bench', tools: otel ? otel.tools(tools) : tools });
  const server = new c.AgentServer(agent, otel ? { instrumentation: otel.server } : {});
  if (otel) otel.observeServer(server as unknown as core.AgentServer);
  // The reference's AgentServer is core's class from a copy: the same shape, another identity.
  const ws = await wsServer({ agentServer: server as unknown as core.AgentServer, port: 0 });
  const connect = wsConnector({ url: ws.url ?? '' });
  const client = new c.AgentClient({ connect: connect as unknown as core.Connector, ...(otel ? { instrumentation: otel.client } : {}) });
  await client.connect();
  return {
    call: () => client.invoke('echo', { text: 'hello' }).result,
    close: async () => {
      await client.close();
      server.close();
      await ws.close();
    },
  };
}

const reference = (await import(writeReferenceCore())) as Core;
const spans = new DiscardingExporter();
const tracerProvider = new TracerProvider({ spanProcessors: [new BatchSpanProcessor({ exporter: spans })] });
const meterProvider = new MeterProvider({
  readers: [new PeriodicExportingMetricReader({ exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE), exportIntervalMillis: 60_000 })],
});
const contextManager = new AsyncLocalStorageContextManager();
const setups: Record<Name, Setup> = {
  reference: await setup(reference, undefined),
  off: await setup(core, undefined),
  // No SDK: the global providers are the API's no-ops, and no context manager is registered.
  'api-noop': await setup(core, new AgentSocketTelemetry()),
  sdk: await setup(core, new AgentSocketTelemetry({ tracerProvider, meterProvider })),
};
const names = Object.keys(setups) as Name[];

interface Measured {
  p50: number;
  perSecond: number;
}
const results = await interleave<Measured, Name>(
  names.map((name) => ({
    name,
    run: async () => {
      // Only the SDK variant runs with a context manager, as an application with an SDK would.
      context.disable();
      if (name === 'sdk') context.setGlobalContextManager(contextManager.enable());
      const s = setups[name];
      const one = await closedLoop(() => s.call(), { concurrency: 1, durationMs: roundMs / 2 });
      const many = await closedLoop(() => s.call(), { concurrency: 32, durationMs: roundMs / 2, recordLatency: false });
      if (one.errors + many.errors > 0) throw new Error(`${name}: ${one.firstError ?? many.firstError}`);
      return { p50: one.latency?.p50 ?? Number.NaN, perSecond: many.perSecond };
    },
  })),
  { rounds, between: collectGarbage, onResult: (name, round, r) => console.error(`  round ${round + 1}/${rounds} ${name}: p50 ${r.p50.toFixed(3)} ms, ${Math.round(r.perSecond)}/s`) },
);
for (const s of Object.values(setups)) await s.close();
await tracerProvider.shutdown();
await meterProvider.shutdown();

const ref = results.get('reference') ?? [];
const rows = names.map((name) => {
  const r = results.get(name) ?? [];
  // Paired per round: each ratio compares runs made back to back.
  const latencyRatio = median(r.map((x, i) => x.p50 / (ref[i]?.p50 ?? Number.NaN)));
  const rateRatio = median(r.map((x, i) => x.perSecond / (ref[i]?.perSecond ?? Number.NaN)));
  return {
    variant: name,
    p50: `${median(r.map((x) => x.p50)).toFixed(3)} ms`,
    p50Ratio: latencyRatio.toFixed(3),
    rate: `${Math.round(median(r.map((x) => x.perSecond))).toLocaleString('en-US')}/s`,
    rateRatio: rateRatio.toFixed(3),
  };
});
console.log(
  renderTable(
    [{ header: 'variant' }, { header: 'p50, 1 in flight' }, { header: '÷ reference' }, { header: 'calls/s, 32 in flight' }, { header: '÷ reference' }],
    rows.map((r) => [r.variant, r.p50, r.p50Ratio, r.rate, r.rateRatio]),
  ),
);
console.log(`spans exported by the sdk variant: ${spans.exported}; load average ${loadAverage()}`);
const out = fileURLToPath(new URL('../../../reports', import.meta.url));
const file = writeJsonReport(out, 'otel-bench', { machine: machineInfo(), rounds, roundMs, rows, raw: Object.fromEntries(results) });
console.log(`report: ${file}`);
