// The MCP bridge both ways. 1: an agent served as an MCP server over Streamable HTTP, called by
// the MCP SDK's own Client (chunks arrive as progress notifications). 2: that MCP server mounted
// back as an agent and called with AgentClient. Exits non-zero if a step fails.
import { AgentClient, AgentServer, defineAgent, memoryConnector, tool } from '@agentsocket/core';
import { mcpHttpServer, mountMcpServer } from '@agentsocket/mcp';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const agent = defineAgent({
  name: 'weather',
  tools: {
    forecast: tool({
      description: 'Forecast for a city',
      input: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      async *handler({ city }) {
        yield `checking ${String(city)}…`;
        return { city, sky: 'clear', highC: 21 };
      },
    }),
  },
});

// 1. The agent as an MCP server (binds 127.0.0.1 on a free port by default).
const http = await mcpHttpServer(agent);
const mcp = new Client({ name: 'example-host', version: '1.0.0' });
await mcp.connect(new StreamableHTTPClientTransport(new URL(http.url)));
try {
  const { tools } = await mcp.listTools();
  check(tools.some((t) => t.name === 'forecast'), 'the MCP client lists the agent’s tool');
  const progress: unknown[] = [];
  const result = await mcp.callTool({ name: 'forecast', arguments: { city: 'Lisbon' } }, undefined, {
    onprogress: (p) => progress.push(p.message),
  });
  console.log('MCP result:', result.structuredContent, 'progress:', progress);
  check(JSON.stringify(result.structuredContent) === '{"city":"Lisbon","sky":"clear","highC":21}', 'the MCP client got the result');
  check(progress[0] === 'checking Lisbon…', 'the streamed chunk arrived as progress');

  // 2. Any MCP server (here: the one above) mounted as an agent, served by an AgentServer.
  const mounted = await mountMcpServer({ url: http.url });
  const server = new AgentServer(mounted.agent);
  const client = new AgentClient({ connect: memoryConnector(server) });
  try {
    await client.connect();
    const call = await client.invoke('forecast', { city: 'Oslo' }).result;
    console.log('through the mount:', call.value);
    check(JSON.stringify(call.value).includes('Oslo'), 'AgentClient called the mounted MCP tool');
  } finally {
    await client.close();
    server.close();
    await mounted.close();
  }
} finally {
  await mcp.close();
  await http.close();
}

function check(ok: boolean, what: string): void {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) process.exitCode = 1;
}
