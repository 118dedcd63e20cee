import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { AgentClient, AgentServer, defineAgent, tool } from '@agentsocket/core';
import { RedisConnection } from '@agentsocket/redis';
import { RedisStreamsQueue, TaskClient, TaskStore } from '@agentsocket/tasks';
import { wsConnector, wsServer } from '@agentsocket/ws';
import { SpanKind } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentSocketTelemetry } from '../src/index.js';
import { testSdk, until } from './sdk.js';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const FIXTURE = fileURLToPath(new URL('./fixtures/traced-process.ts', import.meta.url));

interface SpanRecord {
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  attributes: Record<string, unknown>;
  process: string;
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Starts a fixture process and waits for its READY line. */
async function start(config: Record<string, unknown>): Promise<{ child: ChildProcess; ready: Record<string, string> }> {
  const child = spawn(process.execPath, ['--conditions=@agentsocket/source', '--import', 'tsx', FIXTURE, JSON.stringify(config)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  cleanups.push(() => {
    child.kill('SIGKILL');
  });
  const lines = createInterface({ input: child.stdout ?? process.stdin });
  const ready = await new Promise<Record<string, string>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${String(config['role'])} did not start in 60 s`)), 60_000);
    child.once('exit', (code) => reject(new Error(`${String(config['role'])} exited with ${code}`)));
    lines.on('line', (line) => {
      if (!line.startsWith('READY ')) return;
      clearTimeout(timer);
      resolve(JSON.parse(line.slice(6)) as Record<string, string>);
    });
  });
  return { child, ready };
}

async function spansOf(url: string): Promise<SpanRecord[]> {
  const res = await fetch(url);
  return (await res.json()) as SpanRecord[];
}

describe('one trace from an orchestrator through the task queue and a worker to an MCP tool', () => {
  it('every span, in three processes, has the trace id of the request, each the child of the one before', async () => {
    const prefix = `otel-test:${process.pid}:${Date.now()}:`;
    const mcp = await start({ role: 'mcp' });
    const worker = await start({ role: 'worker', redisUrl: REDIS_URL, prefix, mcpUrl: mcp.ready['mcpUrl'] });

    // The orchestrator: an agent served over WebSocket whose tool queues the work and waits for it.
    const sdk = testSdk();
    cleanups.push(() => sdk.shutdown());
    const otel = new AgentSocketTelemetry({ tracerProvider: sdk.tracerProvider, meterProvider: sdk.meterProvider });
    const connection = new RedisConnection({ url: REDIS_URL });
    cleanups.push(async () => {
      const keys = await connection.client.keys(`${prefix}*`);
      if (keys.length > 0) await connection.client.del(...keys);
      await connection.close();
    });
    const store = new TaskStore({ connection, prefix });
    const queue = new RedisStreamsQueue({ connection, prefix, leaseMs: 5000 });
    const tasks = new TaskClient({ store, queue });
    const orchestrator = defineAgent({
      name: 'orchestrator',
      tools: otel.tools({
        plan: tool({
          input: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
          async handler({ city }, ctx) {
            const { id } = await otel.submitTask(tasks, { tool: 'research', args: { city }, idempotencyKey: ctx.messageId });
            return tasks.result(id, { timeoutMs: 30_000 });
          },
        }),
      }),
    });
    const server = new AgentServer(orchestrator, { instrumentation: otel.server });
    const ws = await wsServer({ agentServer: server, port: 0 });
    cleanups.push(async () => {
      server.close();
      await ws.close();
    });
    const client = new AgentClient({ connect: wsConnector({ url: ws.url ?? '' }), instrumentation: otel.client });
    await client.connect();
    cleanups.push(() => client.close());

    const tracer = sdk.tracerProvider.getTracer('test');
    const result = await tracer.startActiveSpan('request', async (root) => {
      try {
        return (await client.invoke('plan', { city: 'Oslo' }).result).value;
      } finally {
        root.end();
      }
    });
    expect(result).toEqual({ forecast: { city: 'Oslo', sky: 'clear' } });

    const here = sdk.spans().map((s) => ({
      name: s.name,
      kind: s.kind,
      traceId: s.spanContext().traceId,
      spanId: s.spanContext().spanId,
      parentSpanId: s.parentSpanContext?.spanId,
      attributes: { ...s.attributes },
      process: 'orchestrator',
    }));
    let all: SpanRecord[] = [];
    // Spans end as their work ends: wait until the MCP tool's and the worker's are there.
    await until(async () => {
      all = [...here, ...(await spansOf(worker.ready['spansUrl'] ?? '')), ...(await spansOf(mcp.ready['spansUrl'] ?? ''))];
      return all.some((s) => s.name === 'asp.tool research') && all.some((s) => s.name === 'asp.tool weather');
    }, 'the worker and MCP spans');

    const find = (name: string) => {
      const found = all.filter((s) => s.name === name);
      expect(found, name).toHaveLength(1);
      return found[0] as SpanRecord;
    };
    const root = find('request');
    const chain = [
      root,
      find('asp.invoke plan'),
      find('asp.tool plan'),
      find('asp.task.submit research'),
      find('asp.tool research'),
      find('asp.tool weather'),
    ];
    expect(chain.map((s) => s.process)).toEqual(['orchestrator', 'orchestrator', 'orchestrator', 'orchestrator', 'worker', 'mcp']);
    expect(chain.map((s) => s.kind)).toEqual([SpanKind.INTERNAL, SpanKind.CLIENT, SpanKind.SERVER, SpanKind.PRODUCER, SpanKind.CONSUMER, SpanKind.SERVER]);
    for (const s of chain) expect(s.traceId).toBe(root.traceId);
    for (let i = 1; i < chain.length; i++) expect(chain[i]?.parentSpanId, chain[i]?.name).toBe(chain[i - 1]?.spanId);
    const submit = find('asp.task.submit research');
    expect(find('asp.tool research').attributes['asp.task.id']).toBe(submit.attributes['asp.task.id']);
  }, 180_000);
});
