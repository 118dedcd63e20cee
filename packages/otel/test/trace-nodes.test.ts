import { AgentClient, AgentServer, defineAgent, tool } from '@agentsocket/core';
import { type RedisCluster, redisCluster } from '@agentsocket/redis';
import { wsConnector, wsServer } from '@agentsocket/ws';
import { SpanKind } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentSocketTelemetry, traceparent } from '../src/index.js';
import { testSdk } from './sdk.js';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('one trace across agents on two cluster nodes', () => {
  it('a call from an agent on one node to an agent on another (through the Redis hub) continues the caller’s trace', async () => {
    const sdk = testSdk();
    cleanups.push(() => sdk.shutdown());
    const otel = new AgentSocketTelemetry({ tracerProvider: sdk.tracerProvider, meterProvider: sdk.meterProvider });
    const prefix = `otel-nodes:${process.pid}:${Date.now()}:`;
    const nodes: Array<{ cluster: RedisCluster; url: string }> = [];
    for (const nodeId of ['node-a', 'node-b']) {
      const cluster = redisCluster({ url: REDIS_URL, prefix, nodeId, heartbeatMs: 250 });
      await cluster.ready();
      const server = new AgentServer(defineAgent({ name: 'hub' }), { ...cluster.serverOptions, instrumentation: otel.server });
      const ws = await wsServer({ agentServer: server, port: 0 });
      cleanups.push(async () => {
        server.close();
        await ws.close();
        await cluster.close();
      });
      nodes.push({ cluster, url: ws.url ?? '' });
    }
    const [a, b] = nodes;
    if (!a || !b) throw new Error('two nodes');

    // The worker agent, on node b, answers with the trace context its handler runs in.
    const worker = new AgentClient({
      connect: wsConnector({ url: b.url }),
      name: 'worker',
      instrumentation: otel.client,
      tools: otel.tools({ where: tool({ handler: (_args, ctx) => ({ ctx: ctx.traceparent, active: traceparent() }) }) }),
    });
    await worker.connect();
    cleanups.push(() => worker.close());
    // The caller, on node a.
    const caller = new AgentClient({ connect: wsConnector({ url: a.url }), name: 'caller', instrumentation: otel.client });
    await caller.connect();
    cleanups.push(() => caller.close());

    const tracer = sdk.tracerProvider.getTracer('test');
    const answer = await tracer.startActiveSpan('request', async (root) => {
      try {
        return (await caller.invokeAgent('worker', 'where', {}).result).value;
      } finally {
        root.end();
      }
    });
    const spans = sdk.spans();
    const one = (name: string) => {
      const found = spans.filter((s) => s.name === name);
      expect(found, name).toHaveLength(1);
      return found[0];
    };
    const root = one('request');
    const invoke = one('asp.invoke where');
    const run = one('asp.tool where');
    expect(invoke?.kind).toBe(SpanKind.CLIENT);
    expect(run?.kind).toBe(SpanKind.SERVER);
    const traceId = root?.spanContext().traceId;
    expect(invoke?.spanContext().traceId).toBe(traceId);
    expect(run?.spanContext().traceId).toBe(traceId);
    expect(invoke?.parentSpanContext?.spanId).toBe(root?.spanContext().spanId);
    expect(run?.parentSpanContext?.spanId).toBe(invoke?.spanContext().spanId);
    // Inside the handler, ctx.traceparent and the active context are the run's own span.
    const own = `00-${traceId}-${run?.spanContext().spanId}-01`;
    expect(answer).toEqual({ ctx: own, active: own });
  }, 60_000);
});
