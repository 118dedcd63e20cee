import { type Agent, defineAgent, ProtocolError, tool } from '@agentsocket/core';

/** Counters and latches the compliance tools expose to the tests. */
export interface Probe {
  runs: Map<string, number>;
  interrupted: number;
  /** Opened by tests to let `gated` finish. */
  release: (() => void) | undefined;
  gateWait: Promise<void> | undefined;
}

export function newProbe(): Probe {
  return { runs: new Map(), interrupted: 0, release: undefined, gateWait: undefined };
}

/** Yields to the event loop so a stream interleaves with I/O, as a real model would. */
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The agent every transport is tested with. */
export function complianceAgent(probe: Probe): Agent {
  const count = (key: string) => probe.runs.set(key, (probe.runs.get(key) ?? 0) + 1);
  return defineAgent({
    name: 'compliance',
    version: '1.0.0',
    tools: {
      echo: tool({
        description: 'Returns its arguments',
        input: { type: 'object' },
        handler: (args) => args,
      }),
      count: tool({
        description: 'Streams 0..n-1, yielding to the event loop every `every` chunks',
        input: {
          type: 'object',
          properties: { n: { type: 'integer', minimum: 0 }, every: { type: 'integer', minimum: 1 } },
          required: ['n'],
        },
        async *handler(args) {
          const n = Number(args['n']);
          const every = Number(args['every'] ?? 1000);
          for (let i = 0; i < n; i++) {
            if (i % every === 0) await tick();
            yield i;
          }
          return { total: n };
        },
      }),
      wait: tool({
        description: 'Streams one chunk, then waits until interrupted',
        async *handler(_args, ctx) {
          yield 'started';
          await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
          probe.interrupted++;
          return 'unreachable';
        },
      }),
      gated: tool({
        description: 'Counts its runs by key, then waits for the test to release it',
        input: { type: 'object', properties: { key: { type: 'string' } }, required: ['key'] },
        async handler(args) {
          count(String(args['key']));
          await probe.gateWait;
          return { key: args['key'], runs: probe.runs.get(String(args['key'])) };
        },
      }),
      ask: tool({
        description: 'Asks the caller a question mid-stream (server → client invoke)',
        async *handler(args, ctx) {
          yield 'thinking';
          const answer = await ctx.invokePeer<string>('clarify', { question: args['question'] ?? 'which one?' }).result;
          yield `heard ${answer.value}`;
          return { answer: answer.value };
        },
      }),
      announce: tool({
        description: 'Announces a new tool mid-session (TOOL_DEF) and returns its name',
        handler: (args, ctx) => {
          const name = String(args['name'] ?? 'late');
          ctx.defineTool(name, { description: 'announced mid-session', handler: () => `${name} works` });
          return name;
        },
      }),
      unencodable: tool({
        description: 'Answers with a value no codec can encode (a cycle) as its result, a chunk, or an error\'s data',
        input: { type: 'object', properties: { where: { enum: ['result', 'chunk', 'data'] } }, required: ['where'] },
        async *handler(args) {
          const cycle: Record<string, unknown> = { name: 'cycle' };
          cycle['self'] = cycle;
          if (args['where'] === 'data') throw new ProtocolError(418, 'teapot', { data: cycle });
          yield 'fine';
          if (args['where'] === 'chunk') yield cycle;
          return args['where'] === 'result' ? cycle : 'unreachable';
        },
      }),
      fail: tool({
        description: 'Throws a wire error with the given code',
        handler: (args) => {
          throw new ProtocolError(Number(args['code'] ?? 500), 'failed on purpose');
        },
      }),
    },
  });
}
