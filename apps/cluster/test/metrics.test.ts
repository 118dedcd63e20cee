import { randomBytes } from 'node:crypto';
import { AgentClient, defineAgent, tool } from '@agentsocket/core';
import { RedisConnection } from '@agentsocket/redis';
import { RedisStreamsQueue, TaskClient, TaskStore, TaskWorker } from '@agentsocket/tasks';
import { wsConnector } from '@agentsocket/ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningNode, startNode } from '../src/cluster-node.js';
import { readNodeConfig } from '../src/config.js';
import { pingRedis } from '../src/redis-probe.js';
import { REDIS_URL } from './fixture.js';

const onCi = process.env['CI'] === 'true';
const ready = await pingRedis(REDIS_URL);
if (!ready && !onCi) console.warn(`\n!!! SKIPPING the metrics test: needs a Redis at ${REDIS_URL}. CI runs it. !!!\n`);

/** One sample of a scrape: the value of `name` whose labels include all of `labels`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = new Map([...(m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) return Number(m[3]);
  }
  return undefined;
}

describe.runIf(ready || onCi)('the Prometheus endpoint of a cluster node', () => {
  const prefix = `test:metrics:${randomBytes(5).toString('hex')}:`;
  let node: RunningNode;
  let client: AgentClient;
  let connection: RedisConnection;

  beforeAll(async () => {
    node = await startNode(readNodeConfig(['--port', '0', '--node-id', 'metrics-1', '--redis-url', REDIS_URL, '--prefix', prefix], {}));
    connection = new RedisConnection({ url: REDIS_URL });
    await connection.whenReady(10_000);
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    await node?.close();
    const keys = await connection.client.keys(`${prefix}*`);
    if (keys.length > 0) await connection.client.del(...keys);
    await connection?.close();
  });

  it('serves connections, sessions, calls by tool and outcome, latency, bytes and queue depth in the text format', async () => {
    const scrape = async () => {
      const res = await fetch(`http://127.0.0.1:${node.port}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      return res.text();
    };
    const before = await scrape();
    expect(sample(before, 'asp_server_sessions', { asp_node_id: 'metrics-1' }) ?? 0).toBe(0);

    client = new AgentClient({ connect: wsConnector({ url: `ws://127.0.0.1:${node.port}/asp` }), namespace: '/team-metrics', reconnect: false });
    await client.connect();
    await client.invoke('whoami').result;
    await client.invoke('whoami').result;
    await expect(client.invoke('count', { n: -1 }).result).rejects.toMatchObject({ code: 422 });
    const counted = client.invoke('count', { n: 3 });
    for await (const _ of counted);
    await counted.result;

    // A worker registers its tool, then leaves: two tasks wait in its queue.
    const tasksPrefix = `${prefix}tasks:`;
    const store = new TaskStore({ connection, prefix: tasksPrefix });
    const queue = new RedisStreamsQueue({ connection, prefix: tasksPrefix });
    const worker = new TaskWorker({ agent: defineAgent({ name: 'w', tools: { slow: tool({ handler: () => 'ok' }) } }), store, queue });
    await worker.start();
    await worker.close();
    const tasks = new TaskClient({ store, queue });
    await tasks.submit({ tool: 'slow', args: {} });
    await tasks.submit({ tool: 'slow', args: {} });

    const text = await scrape();
    expect(text).toContain('# TYPE asp_tool_calls_total counter');
    expect(text).toContain('# TYPE asp_tool_duration histogram');
    expect(sample(text, 'asp_tool_calls_total', { asp_tool: 'whoami', asp_outcome: 'ok' })).toBe(2);
    expect(sample(text, 'asp_tool_calls_total', { asp_tool: 'count', asp_outcome: 'ok' })).toBe(1);
    expect(sample(text, 'asp_tool_duration_count', { asp_tool: 'whoami', asp_outcome: 'ok' })).toBe(2);
    expect(sample(text, 'asp_tool_duration_bucket', { asp_tool: 'whoami', asp_outcome: 'ok', le: '+Inf' })).toBe(2);
    expect(sample(text, 'asp_server_connections_opened_total', { asp_transport: 'ws' })).toBe(1);
    expect(sample(text, 'asp_server_connections_active', { asp_transport: 'ws' })).toBe(1);
    expect(sample(text, 'asp_server_sessions', { asp_agent: 'cluster-agent', asp_node_id: 'metrics-1' })).toBe(1);
    expect(sample(text, 'asp_server_sessions_started_total', { asp_node_id: 'metrics-1' })).toBe(1);
    expect(sample(text, 'asp_server_bytes_received_total', { asp_transport: 'ws' })).toBeGreaterThan(0);
    expect(sample(text, 'asp_server_bytes_sent_total', { asp_transport: 'ws' })).toBeGreaterThan(0);
    expect(sample(text, 'asp_tasks_queue_depth', { asp_tool: 'slow', asp_task_state: 'waiting' })).toBe(2);
    expect(sample(text, 'asp_tasks_queue_depth', { asp_tool: 'slow', asp_task_state: 'leased' })).toBe(0);

    const other = await fetch(`http://127.0.0.1:${node.port}/metrics`, { method: 'POST' });
    expect(other.status).toBe(404);
  });
});
