import type { BenchServer } from '@agentsocket/bench/servers';
import { AgentServer } from '@agentsocket/core';
import { wsServer } from '@agentsocket/ws';
import { compareAgent } from '../agent.js';
import { countingServer } from './counting.js';

/** Ours: the agent served by AgentServer over @agentsocket/ws with its defaults. */
export async function agentWsServer(): Promise<BenchServer> {
  const c = await countingServer();
  const endpoint = await wsServer({ agentServer: new AgentServer(compareAgent()), server: c.http });
  return {
    url: `ws://127.0.0.1:${c.port}${endpoint.path}`,
    counters: c.counters,
    close: async () => {
      await endpoint.close();
      await c.close();
    },
  };
}
