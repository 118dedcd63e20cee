import type { BenchServer } from '@agentsocket/bench/servers';
import { mcpHttpServer } from '@agentsocket/mcp';
import { compareAgent } from '../agent.js';
import { countingServer } from './counting.js';

/** Ours: the agent served over MCP Streamable HTTP through the bridge, with its defaults. */
export async function agentMcpHttpServer(): Promise<BenchServer> {
  const c = await countingServer();
  const mcp = await mcpHttpServer(compareAgent(), { server: c.http });
  return {
    url: mcp.url,
    counters: c.counters,
    close: async () => {
      await mcp.close();
      await c.close();
    },
  };
}
