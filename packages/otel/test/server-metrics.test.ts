import { AgentClient, AgentServer, defineAgent, ErrorCode, ProtocolError, type Transport, tool } from '@agentsocket/core';
import { wsConnector, wsServer } from '@agentsocket/ws';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentSocketTelemetry, CountingTransport, METRIC, type TransportTotals } from '../src/index.js';
import { countOf, type TestSdk, testSdk, until, sumOf } from './sdk.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('server and call metrics over the WebSocket transport', () => {
  it('counts connections, frame bytes, sessions, resumes, and calls by tool and outcome', async () => {
    const sdk: TestSdk = testSdk();
    cleanups.push(() => sdk.shutdown());
    const otel = new AgentSocketTelemetry({ tracerProvider: sdk.tracerProvider, meterProvider: sdk.meterProvider });
    const agent = defineAgent({
      name: 'metered',
      tools: otel.tools({
        echo: tool({ input: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] }, handler: ({ text }) => text }),
        busy: tool({
          handler: () => {
            throw new ProtocolError(ErrorCode.CONFLICT, 'busy');
          },
        }),
        count: tool({
          async *handler() {
            yield 1;
            yield 2;
            return 'done';
          },
        }),
      }),
    });
    const server = new AgentServer(agent, { instrumentation: otel.server, nodeId: 'n1' });
    cleanups.push(otel.observeServer(server));
    const ws = await wsServer({ agentServer: server, port: 0 });
    cleanups.push(async () => {
      server.close();
      await ws.close();
    });
    // The client's side counted the same way, to compare with what the server reports.
    const clientTotals: TransportTotals = { received: 0, sent: 0, active: 0 };
    let current: Transport | undefined;
    const connect = wsConnector({ url: ws.url ?? '' });
    const client = new AgentClient({
      connect: async (signal) => {
        current = new CountingTransport(await connect(signal), clientTotals);
        return current;
      },
      instrumentation: otel.client,
      reconnect: { initialMs: 10, maxMs: 50 },
    });
    await client.connect();
    cleanups.push(() => client.close());

    expect((await client.invoke('echo', { text: 'hi' }).result).value).toBe('hi');
    await expect(client.invoke('busy').result).rejects.toMatchObject({ code: 409 });
    const streamed = client.invoke('count');
    for await (const _ of streamed);
    await streamed.result;
    await expect(client.invoke('echo', {}).result).rejects.toMatchObject({ code: 422 });

    // A drop the client did not ask for: it resumes the session on a new connection.
    const resumed = new Promise<void>((resolve) => client.on('connect', (info) => info.resumed && resolve()));
    await current?.close(4000, 'dropped by the test');
    await resumed;
    expect((await client.invoke('echo', { text: 'again' }).result).value).toBe('again');

    const calls = await sdk.points(METRIC.toolCalls);
    expect(sumOf(calls, { 'asp.tool': 'echo', 'asp.outcome': 'ok' })).toBe(2);
    expect(sumOf(calls, { 'asp.tool': 'busy', 'asp.outcome': 'error', 'asp.error.code': '409' })).toBe(1);
    expect(sumOf(calls, { 'asp.tool': 'count', 'asp.outcome': 'ok' })).toBe(1);
    // Arguments refused by the schema never reach the handler.
    expect(sumOf(calls)).toBe(4);
    expect(countOf(await sdk.points(METRIC.toolDuration), { 'asp.tool': 'echo' })).toBe(2);

    const clientCalls = await sdk.points(METRIC.clientCalls);
    expect(sumOf(clientCalls, { 'asp.tool': 'echo', 'asp.outcome': 'error', 'asp.error.code': '422' })).toBe(1);
    expect(sumOf(clientCalls, { 'asp.outcome': 'ok' })).toBe(3);
    expect(sumOf(clientCalls, { 'asp.tool': 'busy', 'asp.error.code': '409' })).toBe(1);
    expect(countOf(await sdk.points(METRIC.clientDuration))).toBe(5);

    expect(sumOf(await sdk.points(METRIC.connectionsOpened), { 'asp.transport': 'ws' })).toBe(2);
    expect(sumOf(await sdk.points(METRIC.connectionsActive), { 'asp.transport': 'ws' })).toBe(1);
    expect(sumOf(await sdk.points(METRIC.sessionsStarted), { 'asp.agent': 'metered', 'asp.node.id': 'n1' })).toBe(1);
    expect(sumOf(await sdk.points(METRIC.resumes))).toBe(1);
    expect(sumOf(await sdk.points(METRIC.sessions), { 'asp.agent': 'metered' })).toBe(1);

    // Every frame one side sent, the other received (acks may still be on their way: wait for them).
    await until(async () => {
      const received = sumOf(await sdk.points(METRIC.bytesReceived), { 'asp.transport': 'ws' });
      const sent = sumOf(await sdk.points(METRIC.bytesSent), { 'asp.transport': 'ws' });
      return received === clientTotals.sent && sent === clientTotals.received;
    }, 'byte counts of both sides to agree');
    expect(clientTotals.sent).toBeGreaterThan(0);
    expect(clientTotals.received).toBeGreaterThan(0);

    await client.close();
    await until(async () => sumOf(await sdk.points(METRIC.sessionsEnded), { 'asp.agent': 'metered' }) === 1, 'the session to end');
    await until(async () => sumOf(await sdk.points(METRIC.connectionsActive)) === 0, 'no connection open');
    expect(sumOf(await sdk.points(METRIC.sessions), { 'asp.agent': 'metered' })).toBe(0);
  });
});
