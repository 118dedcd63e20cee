import { AgentClient, type Connector } from '@agentsocket/core';
import type { Session } from '../variant.js';
import { ANSWER, ANSWER_TOOL, ASK_TOOL, ECHO_ARGS, ECHO_TOOL, readAskResult, STREAM_TOOL } from '../workload.js';
import { checkCount, checkEcho } from './checks.js';

/** Ours: an AgentClient with its defaults (msgpack, at-least-once) over any transport's connector. */
export async function aspSession(connect: Connector): Promise<Session> {
  const client = new AgentClient({
    connect,
    reconnect: false,
    tools: { [ANSWER_TOOL]: { description: 'Answers the agent’s question', input: { type: 'object' }, handler: () => ANSWER } },
  });
  await client.connect();
  return {
    echo: () => client.invoke(ECHO_TOOL, ECHO_ARGS).result.then(({ value }) => checkEcho(value)),
    stream: async (count, onChunk) => {
      const call = client.invoke(STREAM_TOOL, { count });
      let chunks = 0;
      for await (const _ of call) {
        chunks++;
        onChunk();
      }
      await call.result;
      checkCount(STREAM_TOOL, chunks, count);
      return chunks;
    },
    ask: async () => {
      const call = client.invoke(ASK_TOOL, {});
      let chunks = 0;
      for await (const _ of call) chunks++;
      const { askMs } = readAskResult((await call.result).value);
      checkCount(ASK_TOOL, chunks, 2);
      return askMs;
    },
    close: () => client.close(),
  };
}
