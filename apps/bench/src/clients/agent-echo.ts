import { isDeepStrictEqual } from 'node:util';
import { AgentClient } from '@agentsocket/core';
import { wsConnector } from '@agentsocket/ws';
import { ECHO_ARGS, ECHO_TOOL } from '../workload.js';
import type { EchoClient } from './echo-client.js';

/** Ours: AgentClient over @agentsocket/ws with its defaults (msgpack, at-least-once). */
export async function agentEchoClient(url: string): Promise<EchoClient> {
  const client = new AgentClient({ connect: wsConnector({ url }), reconnect: false });
  await client.connect();
  // Check the answer once up front; the timed loop only checks that a result arrived.
  const first = await client.invoke(ECHO_TOOL, ECHO_ARGS).result;
  if (!isDeepStrictEqual(first.value, ECHO_ARGS)) throw new Error(`echo tool answered ${JSON.stringify(first.value)}`);
  return {
    call: () =>
      client.invoke(ECHO_TOOL, ECHO_ARGS).result.then(({ value }) => {
        if (value === undefined) throw new Error('echo tool returned nothing');
      }),
    close: () => client.close(),
  };
}
