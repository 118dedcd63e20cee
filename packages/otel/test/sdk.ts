import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

let contextManager: AsyncLocalStorageContextManager | undefined;

/** One SDK of the tests: in-memory span and metric exporters, and an AsyncLocalStorage context manager. */
export function testSdk() {
  if (!contextManager) {
    contextManager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(contextManager);
  }
  const spans = new InMemorySpanExporter();
  const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] });
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  // Exported only when the test asks (forceFlush); the interval never comes round in a test.
  const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  return {
    tracerProvider,
    meterProvider,
    spans: (): ReadableSpan[] => spans.getFinishedSpans(),
    /** Collects now; the data points of one metric from that collection. */
    async points(name: string): Promise<Array<{ attributes: Record<string, unknown>; value: unknown }>> {
      metricExporter.reset();
      await reader.forceFlush();
      const out: Array<{ attributes: Record<string, unknown>; value: unknown }> = [];
      for (const rm of metricExporter.getMetrics()) {
        for (const sm of rm.scopeMetrics) {
          for (const m of sm.metrics) {
            if (m.descriptor.name !== name) continue;
            for (const p of m.dataPoints) out.push({ attributes: { ...p.attributes }, value: p.value });
          }
        }
      }
      return out;
    },
    async shutdown(): Promise<void> {
      await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]);
    },
  };
}

export type TestSdk = ReturnType<typeof testSdk>;

/** The number a counter or gauge reported for these attributes (0 when absent). */
export function sumOf(points: Array<{ attributes: Record<string, unknown>; value: unknown }>, match: Record<string, unknown> = {}): number {
  let total = 0;
  for (const p of points) {
    if (Object.entries(match).every(([k, v]) => p.attributes[k] === v) && typeof p.value === 'number') total += p.value;
  }
  return total;
}

/** Histogram count for these attributes. */
export function countOf(points: Array<{ attributes: Record<string, unknown>; value: unknown }>, match: Record<string, unknown> = {}): number {
  let total = 0;
  for (const p of points) {
    const v = p.value;
    if (Object.entries(match).every(([k, x]) => p.attributes[k] === x) && typeof v === 'object' && v !== null && 'count' in v && typeof v.count === 'number') total += v.count;
  }
  return total;
}

export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
