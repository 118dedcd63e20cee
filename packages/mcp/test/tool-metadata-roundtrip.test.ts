import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type McpHttpServer, mcpHttpServer, type MountedMcpServer, mountMcpServer } from '../src/index.js';
import { everythingServer } from './helpers.js';

/** The stock server's tools as its own SDK client sees them, and again after mounting and serving them over MCP. */
describe('title, annotations and outputSchema survive mounting a stock MCP server and serving it again', () => {
  let direct: Tool[];
  let mounted: MountedMcpServer;
  let http: McpHttpServer;
  let served: Tool[];
  const clients: Client[] = [];

  beforeAll(async () => {
    const first = new Client({ name: 'direct', version: '1' });
    clients.push(first);
    await first.connect(new StdioClientTransport(everythingServer()));
    direct = (await first.listTools()).tools;
    mounted = await mountMcpServer(everythingServer());
    http = await mcpHttpServer(mounted.agent, { port: 0, host: '127.0.0.1' });
    const second = new Client({ name: 'through-the-bridge', version: '1' });
    clients.push(second);
    await second.connect(new StreamableHTTPClientTransport(new URL(http.url)));
    served = (await second.listTools()).tools;
  });
  afterAll(async () => {
    for (const c of clients) await c.close();
    await http.close();
    await mounted.close();
  });

  it('keeps every tool’s metadata', () => {
    const byName = new Map(served.map((t) => [t.name, t]));
    const withTitle = direct.filter((t) => t.title !== undefined);
    const withAnnotations = direct.filter((t) => t.annotations !== undefined);
    const withOutput = direct.filter((t) => t.outputSchema !== undefined);
    // The stock server has tools of each kind, so the check below is not vacuous.
    expect(withTitle.length).toBeGreaterThan(0);
    expect(withAnnotations.length).toBeGreaterThan(0);
    expect(withOutput.length).toBeGreaterThan(0);
    for (const t of direct) {
      const again = byName.get(t.name);
      expect(again, t.name).toBeDefined();
      expect(again?.title, t.name).toEqual(t.title);
      expect(again?.annotations, t.name).toEqual(t.annotations);
      expect(again?.outputSchema, t.name).toEqual(t.outputSchema);
      expect(again?.description, t.name).toEqual(t.description);
    }
  });

  it('a tool with an output schema answers with structuredContent through the bridge', async () => {
    const tool = direct.find((t) => t.outputSchema !== undefined);
    if (!tool) throw new Error('the stock server has no tool with an output schema');
    const client = clients[1];
    if (!client) throw new Error('no client');
    const props = (tool.inputSchema.properties ?? {}) as Record<string, { type?: string; enum?: unknown[] }>;
    const args = Object.fromEntries(Object.entries(props).map(([k, s]) => [k, s.enum?.[0] ?? (s.type === 'number' ? 2 : 'x')]));
    const result = await client.callTool({ name: tool.name, arguments: args });
    expect(result.isError ?? false, `${tool.name} ${JSON.stringify(tool.inputSchema)} -> ${JSON.stringify(result.content)}`).toBe(false);
    expect(result.structuredContent).toBeDefined();
  });
});
