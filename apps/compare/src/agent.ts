import { type Agent, defineAgent, tool } from '@agentsocket/core';
import { ANSWER_TOOL, ASK_TOOL, type AskResult, CHUNK, ECHO_SCHEMA, ECHO_TOOL, QUESTION, STREAM_TOOL } from './workload.js';

/**
 * The one agent program every transport serves, unchanged: an echo tool for round trips, a
 * streaming tool for chunks, and a tool that asks its caller a question mid-stream.
 */
export function compareAgent(): Agent {
  return defineAgent({
    name: 'compare',
    version: '1.0.0',
    tools: {
      [ECHO_TOOL]: { description: 'Returns its arguments', input: ECHO_SCHEMA, handler: (args) => args },
      [STREAM_TOOL]: tool({
        description: 'Streams `count` token-sized chunks',
        input: { type: 'object', properties: { count: { type: 'integer', minimum: 0 } }, required: ['count'] },
        async *handler(args): AsyncGenerator<string, number> {
          const count = Number(args['count']);
          for (let i = 0; i < count; i++) yield CHUNK;
          return count;
        },
      }),
      [ASK_TOOL]: tool({
        description: 'Asks the caller a question mid-stream (full duplex)',
        input: { type: 'object' },
        async *handler(_args, ctx): AsyncGenerator<string, AskResult> {
          yield 'thinking';
          const started = performance.now();
          const answer = await ctx.invokePeer<string>(ANSWER_TOOL, { question: QUESTION }, { signal: ctx.signal }).result;
          const askMs = performance.now() - started;
          yield String(answer.value);
          return { answer: String(answer.value), askMs };
        },
      }),
    },
  });
}
