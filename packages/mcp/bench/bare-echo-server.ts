import { createServer } from 'node:http';
import { bareMcpServer } from '@agentsocket/bench-kit';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

/** The baseline: the bench kit's bare SDK McpServer (the echo the agent has), plus an echo that takes 5 ms. */
export function bareEchoServer(): McpServer {
  const server = bareMcpServer();
  server.registerTool('slow-echo', { description: 'Returns its text after 5 ms', inputSchema: { text: z.string() } }, async ({ text }) => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    return { content: [{ type: 'text', text }] };
  });
  return server;
}

/** A bare SDK server over Streamable HTTP, stateful like ours: one transport per session. Prints its URL. */
async function serveHttp(): Promise<void> {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const server = createServer(async (req, res) => {
    const sid = req.headers['mcp-session-id'];
    const existing = typeof sid === 'string' ? sessions.get(sid) : undefined;
    if (existing) return existing.handleRequest(req, res);
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => crypto.randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, transport);
      },
    });
    await bareEchoServer().connect(transport);
    await transport.handleRequest(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  console.log(`http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/mcp`);
}

if (process.argv.includes('--stdio')) await bareEchoServer().connect(new StdioServerTransport());
if (process.argv.includes('--http')) await serveHttp();
