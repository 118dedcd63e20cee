import { type BenchServer, benchAgent, countingServer } from '@agentsocket/bench-kit/servers';
import { mcpHttpServer } from '@agentsocket/mcp';

/** Ours: the agent served over MCP Streamable HTTP through the bridge, with its defaults. */
export async function agentMcpHttpServer(): Promise<BenchServer> {
  const c = await countingServer();
  const mcp = await mcpHttpServer(benchAgent(), { server: c.http });
  return {
    url: mcp.url,
    counters: c.counters,
    close: async () => {
      await mcp.close();
      await c.close();
    },
  };
}
