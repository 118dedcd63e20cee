import { AgentServer, defineAgent } from '@agentsocket/core';
import { wsServer } from '@agentsocket/ws';
import { ECHO_SCHEMA, ECHO_TOOL } from '../workload.js';
import { type BenchServer, listenCounting } from './bench-server.js';

/** Ours: an agent with an echo tool, served by AgentServer over @agentsocket/ws with its defaults. */
export async function startAgentEchoServer(): Promise<BenchServer> {
  const { http, port, counters, close } = await listenCounting();
  const agent = defineAgent({
    name: 'bench',
    tools: {
      [ECHO_TOOL]: { description: 'Returns its arguments', input: ECHO_SCHEMA, handler: (args) => args },
    },
  });
  const endpoint = await wsServer({ agentServer: new AgentServer(agent), server: http });
  return {
    url: `ws://127.0.0.1:${port}${endpoint.path}`,
    counters,
    close: async () => {
      await endpoint.close();
      await close();
    },
  };
}
