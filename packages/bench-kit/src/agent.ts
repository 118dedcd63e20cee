import { type Agent, defineAgent, tool } from '@agentsocket/core';
import { CALL_TOOL, ECHO_SCHEMA, ECHO_TOOL, STREAM_PROFILE } from './profiles.js';
import { ANSWER_TOOL, ASK_TOOL, type AskResult, QUESTION, STREAM_TOOL } from './workload.js';

/**
 * The one agent program every transport serves, unchanged: the echo tool (with a schema) and the
 * call tool (without) for round trips, a streaming tool for tokens, and a tool that asks its
 * caller a question mid-stream.
 */
export function benchAgent(): Agent {
  return defineAgent({
    name: 'bench',
    version: '1.0.0',
    tools: {
      [ECHO_TOOL]: { description: 'Returns its arguments', input: ECHO_SCHEMA, handler: (args) => args },
      [CALL_TOOL]: { description: 'Returns its arguments (no schema)', handler: (args) => args },
      [STREAM_TOOL]: tool({
        description: 'Streams `count` 20-byte tokens',
        input: { type: 'object', properties: { count: { type: 'integer', minimum: 0 } }, required: ['count'] },
        async *handler(args): AsyncGenerator<string, number> {
          const count = Number(args['count']);
          for (let i = 0; i < count; i++) yield STREAM_PROFILE.token;
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
