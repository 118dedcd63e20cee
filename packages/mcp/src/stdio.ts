import type { Readable, Writable } from 'node:stream';
import type { Agent } from '@agentsocket/core';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { AgentMcpServer, type AgentMcpServerOptions } from './agent-mcp-server.js';

export interface StdioServeOptions extends AgentMcpServerOptions {
  /** Where JSON-RPC comes in. @default process.stdin */
  stdin?: Readable;
  /** Where JSON-RPC goes out; nothing else may write there. @default process.stdout */
  stdout?: Writable;
}

/**
 * Serves an agent as an MCP server over stdio (newline-delimited JSON-RPC), the way MCP hosts
 * launch local servers. Resolves once listening; the session ends when stdin ends.
 */
export async function serveAgentOverStdio(agent: Agent, options: StdioServeOptions = {}): Promise<AgentMcpServer> {
  const stdin = options.stdin ?? process.stdin;
  const mcp = new AgentMcpServer(agent, options);
  await mcp.connect(new StdioServerTransport(stdin, options.stdout ?? process.stdout));
  // The SDK's stdio transport does not watch for end of input; a host closing the pipe means goodbye.
  stdin.once('end', () => void mcp.close());
  return mcp;
}
