import { defineAgent, tool } from '@agentsocket/core';
import { relayContext } from '@agentsocket/function';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The agent the workerd tests run as a Worker; nothing in it knows it is behind a relay. */
export const workerAgent = defineAgent({
  name: 'edge-agent',
  version: '1.0.0',
  tools: {
    echo: tool({ input: { type: 'object' }, handler: (args) => args }),
    slowStream: tool({
      description: 'Three chunks, 400 ms apart, then a result',
      async *handler() {
        for (let i = 0; i < 3; i++) {
          if (i > 0) await sleep(400);
          yield { i, at: Date.now() };
        }
        return { done: true, at: Date.now() };
      },
    }),
    wait: tool({
      description: 'One chunk, then waits for INTERRUPT and reports it through the callback API',
      async *handler(_args, ctx) {
        yield 'started';
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
        await relayContext(ctx)?.callbacks?.sendMessage('interrupted', { tool: ctx.tool });
      },
    }),
    ask: tool({
      description: 'Asks the client mid-stream (ctx.invokePeer through the callback API)',
      async *handler(_args, ctx) {
        yield 'thinking';
        const answer = await ctx.invokePeer<string>('clarify', { question: 'which one?' }).result;
        return { answer: answer.value };
      },
    }),
    announce: tool({
      handler: (_args, ctx) => {
        ctx.defineTool('late', { handler: () => 'late works' });
        return 'announced';
      },
    }),
  },
});
