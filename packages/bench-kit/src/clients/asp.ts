import { AgentClient, type Connector } from '@agentsocket/core';
import { checkCount, checkReply } from '../profiles.js';
import type { Session } from '../variant.js';
import { ANSWER, ANSWER_TOOL, ASK_TOOL, readAskResult, STREAM_TOOL } from '../workload.js';

/**
 * Ours: an AgentClient with its defaults (msgpack, at-least-once) over any transport's connector;
 * `lean: false` measures the envelope without the lean form (protocol.md §6), as before it.
 */
export async function aspSession(connect: Connector, options: { lean?: boolean } = {}): Promise<Session> {
  const client = new AgentClient({
    connect,
    reconnect: false,
    ...(options.lean === undefined ? {} : { lean: options.lean }),
    tools: { [ANSWER_TOOL]: { description: 'Answers the agent’s question', input: { type: 'object' }, handler: () => ANSWER } },
  });
  await client.connect();
  return {
    call: (profile) => client.invoke(profile.tool, profile.args).result.then(({ value }) => checkReply(profile, value)),
    stream: async (count, onToken) => {
      const call = client.invoke(STREAM_TOOL, { count });
      let tokens = 0;
      for await (const _ of call) {
        tokens++;
        onToken();
      }
      await call.result;
      checkCount(STREAM_TOOL, tokens, count);
      return tokens;
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
