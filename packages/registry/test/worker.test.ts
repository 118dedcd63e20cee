import { defineAgent, tool } from '@agentsocket/core';
import { RedisStreamsQueue, TaskClient, TaskStore, TaskWorker } from '@agentsocket/tasks';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentRegistry, type PresenceEvent, WorkerPresence } from '../src/index.js';
import { agentEvent, connection, EventLog, redisOrSkip, uniquePrefix } from './env.js';

const up = await redisOrSkip();

describe.runIf(up)('task workers in the registry', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c().catch(() => {});
  });

  it('lists a worker with its tools, busy while it runs tasks, idle after, gone when it stops', async () => {
    const prefix = uniquePrefix();
    const conn = await connection();
    cleanup.push(() => conn.close());
    const registry = new AgentRegistry({ connection: conn, prefix, node: 'worker-host', heartbeatMs: 200, flushMs: 20 });
    cleanup.push(() => registry.close());
    const log = new EventLog();
    await registry.subscribe(log.push, { ns: '/workers' });

    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const agent = defineAgent({
      name: 'translator',
      tools: {
        translate: tool({
          input: { type: 'object' },
          handler: async () => {
            await gate;
            return 'übersetzt';
          },
        }),
      },
    });
    const store = new TaskStore({ connection: conn, prefix: `${prefix}tasks:` });
    const queue = new RedisStreamsQueue({ connection: conn, prefix: `${prefix}tasks:`, blockMs: 200 });
    const presence = new WorkerPresence({ registry, ns: '/workers' });
    const worker = new TaskWorker({ agent, store, queue, concurrency: 4, id: 'translator-1', onEvent: presence.onEvent });
    await worker.start();
    cleanup.push(() => worker.close());
    await presence.register(worker);
    await log.wait(agentEvent('joined', 'translator-1'));
    expect(await registry.find({ ns: '/workers', tool: 'translate' })).toMatchObject([{ agentId: 'translator-1', tools: ['translate'], status: 'idle' }]);

    const tasks = new TaskClient({ store, queue });
    const ids = await Promise.all([1, 2].map(async (i) => (await tasks.submit({ tool: 'translate', args: { i } })).id));
    await log.wait((e: PresenceEvent) => e.type === 'status' && e.agent.inFlight === 2 && e.agent.status === 'busy', 10_000, 'busy with two tasks');
    release();
    for (const id of ids) await expect(tasks.result(id)).resolves.toBe('übersetzt');
    await log.wait((e: PresenceEvent) => e.type === 'status' && e.agent.inFlight === 0 && e.agent.status === 'idle', 10_000, 'idle again');

    await worker.close();
    await presence.unregister();
    await log.wait(agentEvent('left', 'translator-1'));
    expect(await registry.find({ ns: '/workers', tool: 'translate' })).toEqual([]);
  });
});
