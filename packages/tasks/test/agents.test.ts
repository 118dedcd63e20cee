import { AgentClient, AgentServer, defineAgent, memoryConnector, tool } from '@agentsocket/core';
import { afterEach, describe, expect, it } from 'vitest';
import { TaskClient, type TaskEvent, TaskWorker } from '../src/index.js';
import { redisOrSkip } from './env.js';
import { redisFixture, type Space } from './fixture.js';

const run = await redisOrSkip();

describe.runIf(run)('tasks and agents', () => {
  let space: Space;
  const closers: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
    await space?.dispose();
  });

  it('one agent program serves live calls and queued tasks with the same handler; an orchestrator agent streams a task to its caller', async () => {
    space = await redisFixture.open({ leaseMs: 5000 });
    const calls: string[] = [];
    const worker = defineAgent({
      name: 'summariser',
      tools: {
        summarise: tool({
          input: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
          async *handler(args, ctx) {
            calls.push(ctx.sessionId.startsWith('task:') ? 'queued' : 'live');
            yield { words: String(args['text']).split(' ').length };
            return { summary: String(args['text']).slice(0, 5) };
          },
        }),
      },
    });
    // The worker agent, served live over a transport and taking queued tasks at once.
    const live = new AgentServer(worker);
    closers.push(() => live.close());
    const tasksWorker = new TaskWorker({ agent: worker, store: space.store(), queue: space.queue() });
    await tasksWorker.start();
    closers.push(() => tasksWorker.close());

    // An orchestrator agent: its tool hands the work to the queue and streams the task's progress back.
    const tasks = new TaskClient({ store: space.store(), queue: space.queue() });
    const orchestrator = defineAgent({
      name: 'orchestrator',
      tools: {
        dispatch: tool({
          input: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
          async *handler(args, ctx) {
            const { id } = await tasks.submit({ tool: 'summarise', args: { text: args['text'] }, idempotencyKey: ctx.messageId });
            for await (const event of tasks.watch(id, { signal: ctx.signal })) {
              if (event.type === 'progress') yield event.data;
              if (event.type === 'succeeded') return event.result;
              if (event.type === 'failed') throw new Error(event.error.message);
            }
            throw new Error('the task ended without an outcome');
          },
        }),
      },
    });
    const front = new AgentServer(orchestrator);
    closers.push(() => front.close());

    const liveClient = new AgentClient({ connect: memoryConnector(live) });
    await liveClient.connect();
    closers.push(() => liveClient.close());
    expect((await liveClient.invoke('summarise', { text: 'a live call' }).result).value).toEqual({ summary: 'a liv' });

    const caller = new AgentClient({ connect: memoryConnector(front) });
    await caller.connect();
    closers.push(() => caller.close());
    const call = caller.invoke('dispatch', { text: 'three word task' });
    const chunks: unknown[] = [];
    for await (const c of call) chunks.push(c);
    expect((await call.result).value).toEqual({ summary: 'three' });
    expect(chunks).toEqual([{ words: 3 }]);
    expect(calls).toEqual(['live', 'queued']);
  });

  it('a watcher that starts late still gets every event in order, ending with the terminal one', async () => {
    space = await redisFixture.open({ leaseMs: 5000 });
    const agent = defineAgent({
      name: 'counter',
      tools: {
        count: tool({
          input: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] },
          async *handler(args) {
            for (let i = 0; i < Number(args['n']); i++) yield i;
            return 'done';
          },
        }),
      },
    });
    const w = new TaskWorker({ agent, store: space.store(), queue: space.queue() });
    await w.start();
    closers.push(() => w.close());
    const tasks = new TaskClient({ store: space.store(), queue: space.queue() });
    const { id } = await tasks.submit({ tool: 'count', args: { n: 50 } });
    expect(await tasks.result(id)).toBe('done');
    const seen: TaskEvent[] = [];
    for await (const e of tasks.watch(id)) seen.push(e);
    expect(seen.map((e) => (e.type === 'progress' ? e.data : e.type))).toEqual(['queued', 'claimed', ...Array.from({ length: 50 }, (_, i) => i), 'succeeded']);
  });
});
