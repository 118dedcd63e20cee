import { AgentServer } from '@agentsocket/core';
import { wsServer } from '@agentsocket/ws';
import { benchAgent } from '../agent.js';
import { type BenchServer, countingServer } from './counting.js';

/** Ours: the bench agent served by AgentServer over @agentsocket/ws with its defaults. */
export async function agentWsServer(): Promise<BenchServer> {
  const c = await countingServer();
  const endpoint = await wsServer({ agentServer: new AgentServer(benchAgent()), server: c.http });
  return {
    url: `ws://127.0.0.1:${c.port}${endpoint.path}`,
    counters: c.counters,
    close: async () => {
      await endpoint.close();
      await c.close();
    },
  };
}
