import { type Agent, defineAgent, ProtocolError, tool } from '@agentsocket/core';
import { type TaskClient as Client, TaskClient, type TaskEvent, type TaskQueue, type TaskStore, TaskWorker, type TaskWorkerInit } from '../src/index.js';
import type { Space } from './fixture.js';

/** Gates a test opens by key, and side effects counted by key: what the suite's tools touch. */
export class Effects {
  readonly counts = new Map<string, number>();
  readonly started = new Map<string, number>();
  private readonly gates = new Map<string, { promise: Promise<void>; open: () => void }>();

  gate(key: string): Promise<void> {
    return this.entry(key).promise;
  }

  open(key: string): void {
    this.entry(key).open();
  }

  private entry(key: string) {
    let g = this.gates.get(key);
    if (!g) {
      let open = () => {};
      const promise = new Promise<void>((resolve) => {
        open = resolve;
      });
      g = { promise, open };
      this.gates.set(key, g);
    }
    return g;
  }
}

export function suiteAgent(effects: Effects): Agent {
  return defineAgent({
    name: 'suite',
    tools: {
      echo: tool({
        input: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'], additionalProperties: false },
        handler: (args) => ({ echoed: args['text'] }),
      }),
      count: tool({
        input: { type: 'object', properties: { n: { type: 'integer', minimum: 0 } }, required: ['n'] },
        async *handler(args) {
          const n = Number(args['n']);
          for (let i = 0; i < n; i++) yield { i };
          return { total: n };
        },
      }),
      // Fails until attempt `okAt` (ctx.requestId is the attempt number).
      flaky: tool({
        input: { type: 'object', properties: { okAt: { type: 'integer' } }, required: ['okAt'] },
        handler: (args, ctx) => {
          if (ctx.requestId < Number(args['okAt'])) throw new Error(`attempt ${ctx.requestId} failed`);
          return { attempt: ctx.requestId };
        },
      }),
      fail: tool({
        input: { type: 'object', properties: { code: { type: 'integer' } } },
        handler: (args) => {
          if (typeof args['code'] === 'number') throw new ProtocolError(args['code'], 'refused by the handler');
          throw new Error('boom');
        },
      }),
      // Waits for the test to open its gate (or for its signal), then counts one side effect.
      effect: tool({
        input: { type: 'object', properties: { gate: { type: 'string' } }, required: ['gate'] },
        handler: async (args, ctx) => {
          const key = String(args['gate']);
          effects.started.set(key, (effects.started.get(key) ?? 0) + 1);
          await Promise.race([
            effects.gate(key),
            new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true })),
          ]);
          effects.counts.set(key, (effects.counts.get(key) ?? 0) + 1);
          return { key, by: ctx.sessionId };
        },
      }),
    },
  });
}

/** A client, and workers made on demand, all on one space; closed by the space. */
export class System {
  readonly space: Space;
  readonly effects = new Effects();
  readonly agent: Agent;
  readonly store: TaskStore;
  readonly queue: TaskQueue;
  readonly client: Client;
  private readonly workers: TaskWorker[] = [];

  constructor(space: Space) {
    this.space = space;
    this.agent = suiteAgent(this.effects);
    this.store = space.store();
    this.queue = space.queue();
    this.client = new TaskClient({ store: this.store, queue: this.queue });
  }

  async worker(init: Partial<TaskWorkerInit> = {}): Promise<TaskWorker> {
    const w = new TaskWorker({
      agent: this.agent,
      store: this.space.store(),
      queue: init.queue ?? this.space.queue(),
      retry: { initialMs: 20, maxMs: 100, jitter: 0 },
      ...init,
    });
    await w.start();
    this.workers.push(w);
    return w;
  }

  /** Registers the suite's capabilities without starting a worker (tasks then wait in the queue). */
  async register(): Promise<void> {
    await this.store.registerCapabilities(this.agent.tools);
  }

  async close(): Promise<void> {
    for (const w of this.workers) await w.close().catch(() => {});
  }
}

export async function events(client: Client, id: string): Promise<TaskEvent[]> {
  const out: TaskEvent[] = [];
  for await (const e of client.watch(id, { signal: AbortSignal.timeout(20_000) })) out.push(e);
  return out;
}
