import { defineAgent, tool } from '@agentsocket/core';
import { RedisConnection } from '@agentsocket/redis';
import { type Lease, RedisStreamsQueue, TaskClient, TaskStore, TaskWorker } from '@agentsocket/tasks';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentSocketTelemetry, METRIC } from '../src/index.js';
import { countOf, sumOf, testSdk, until } from './sdk.js';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('task queue metrics', () => {
  it('counts submits, a lease that expired under a dead holder, the attempt that settled, and the queue depth', async () => {
    const sdk = testSdk();
    cleanups.push(() => sdk.shutdown());
    const otel = new AgentSocketTelemetry({ tracerProvider: sdk.tracerProvider, meterProvider: sdk.meterProvider });
    const prefix = `otel-tasks:${process.pid}:${Date.now()}:`;
    const connection = new RedisConnection({ url: REDIS_URL });
    cleanups.push(async () => {
      const keys = await connection.client.keys(`${prefix}*`);
      if (keys.length > 0) await connection.client.del(...keys);
      await connection.close();
    });
    const store = new TaskStore({ connection, prefix });
    const queue = new RedisStreamsQueue({ connection, prefix, leaseMs: 600, blockMs: 100 });
    cleanups.push(() => queue.close());
    const agent = defineAgent({ name: 'jobs', tools: otel.tools({ job: tool({ handler: () => 'done' }) }) });
    cleanups.push(otel.observeQueue(queue, ['job']));

    // A worker registers the capability and leaves; then the task is submitted.
    const first = new TaskWorker({ agent, store, queue, onEvent: otel.taskEvents });
    await first.start();
    await first.close();
    const tasks = new TaskClient({ store, queue });
    const submitted = await otel.submitTask(tasks, { tool: 'job', args: {}, idempotencyKey: 'k1' });
    const depth = async (state: string) => sumOf(await sdk.points(METRIC.queueDepth), { 'asp.tool': 'job', 'asp.task.state': state });
    expect(await depth('waiting')).toBe(1);

    // A holder that takes the lease and dies: never renews, never acks.
    const held: Lease[] = [];
    const dead = await queue.consume(['job'], (lease) => held.push(lease), { prefetch: 1, name: 'dead-holder' });
    await until(() => held.length === 1, 'the first lease');
    await dead.stop();
    expect(await depth('waiting')).toBe(0);
    expect(await depth('leased')).toBe(1);

    // Another worker takes the task over once the lease lapses, runs it and records it.
    const second = new TaskWorker({ agent, store, queue, onEvent: otel.taskEvents });
    await second.start();
    cleanups.push(() => second.close());
    expect(await tasks.result(submitted.id, { timeoutMs: 20_000 })).toBe('done');
    // The same idempotency key again names the same task: nothing new is created.
    const again = await otel.submitTask(tasks, { tool: 'job', args: {}, idempotencyKey: 'k1' });
    expect(again).toMatchObject({ id: submitted.id, created: false });

    const submits = await sdk.points(METRIC.tasksSubmitted);
    expect(sumOf(submits, { 'asp.tool': 'job', 'asp.task.created': true })).toBe(1);
    expect(sumOf(submits, { 'asp.tool': 'job', 'asp.task.created': false })).toBe(1);
    expect(sumOf(await sdk.points(METRIC.taskRedeliveries), { 'asp.tool': 'job' })).toBe(1);
    await until(async () => sumOf(await sdk.points(METRIC.tasksSettled), { 'asp.tool': 'job', 'asp.task.outcome': 'succeeded' }) === 1, 'the settled attempt');
    expect(countOf(await sdk.points(METRIC.taskDuration), { 'asp.tool': 'job', 'asp.task.outcome': 'succeeded' })).toBe(1);
    expect(sumOf(await sdk.points(METRIC.toolCalls), { 'asp.tool': 'job', 'asp.outcome': 'ok' })).toBe(1);
    await until(async () => (await depth('leased')) === 0 && (await depth('waiting')) === 0, 'an empty queue');
  }, 60_000);
});
