import { AgentClient, AgentServer, defineAgent } from '@agentsocket/core';
import { wsConnector, wsServer } from '@agentsocket/ws';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AspMcpClientTransport, type AspMcpServerTransport, serveMcpOverAsp } from '../src/index.js';
import { deferred } from './helpers.js';

/** A plain SDK McpServer: it knows nothing of Agent Socket. */
function createMcpServer(): McpServer {
  const server = new McpServer({ name: 'over-asp', version: '1.0.0' });
  server.registerTool('count', { inputSchema: { n: z.number() } }, async ({ n }, extra) => {
    const token = extra._meta?.progressToken;
    for (let i = 1; i <= n; i++) {
      if (token !== undefined) {
        await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: i, total: n } });
      }
    }
    return { content: [{ type: 'text', text: `counted to ${n}` }] };
  });
  server.registerTool('ask-name', {}, async () => {
    const answer = await server.server.elicitInput({
      message: 'Your name?',
      requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
    });
    return { content: [{ type: 'text', text: `hello ${String(answer.content?.['name'])}` }] };
  });
  return server;
}

describe('MCP SDK Client and Server talking JSON-RPC over Agent Socket (binary WebSocket)', () => {
  let agentServer: AgentServer;
  let close: () => Promise<void>;
  let agentClient: AgentClient;
  let serverSide: AspMcpServerTransport[];
  let url: string;

  beforeEach(async () => {
    serverSide = [];
    const agent = defineAgent({ name: 'mcp-host' });
    serveMcpOverAsp(agent, async (transport) => {
      serverSide.push(transport);
      await createMcpServer().connect(transport);
    });
    agentServer = new AgentServer(agent);
    const ws = await wsServer({ agentServer, port: 0, host: '127.0.0.1' });
    url = ws.url ?? '';
    close = () => ws.close();
    agentClient = new AgentClient({ connect: wsConnector({ url }), reconnect: { initialMs: 10, maxMs: 50 } });
    await agentClient.connect();
  });
  afterEach(async () => {
    await agentClient.close();
    agentServer.close();
    await close();
  });

  async function mcpClient(capabilities = {}): Promise<Client> {
    const client = new Client({ name: 'over-asp-client', version: '1.0.0' }, { capabilities });
    await client.connect(new AspMcpClientTransport(agentClient));
    return client;
  }

  it('initializes (version negotiated by the SDK), lists and calls', async () => {
    const client = await mcpClient();
    expect(client.getServerVersion()).toMatchObject({ name: 'over-asp' });
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['count', 'ask-name']);
    expect(await client.callTool({ name: 'count', arguments: { n: 3 } })).toMatchObject({ content: [{ text: 'counted to 3' }] });
    await client.close();
  });

  it('keeps order: 2,000 progress notifications arrive in order, before their response', async () => {
    const client = await mcpClient();
    const seen: number[] = [];
    const result = await client.callTool({ name: 'count', arguments: { n: 2000 } }, undefined, { onprogress: (p) => seen.push(p.progress) });
    expect(result).toMatchObject({ content: [{ text: 'counted to 2000' }] });
    expect(seen).toEqual(Array.from({ length: 2000 }, (_, i) => i + 1));
    await client.close();
  });

  it('is full duplex: the server asks the client (elicitation) mid-call', async () => {
    const client = await mcpClient({ elicitation: {} });
    client.setRequestHandler(ElicitRequestSchema, () => ({ action: 'accept', content: { name: 'Ada' } }));
    expect(await client.callTool({ name: 'ask-name' })).toMatchObject({ content: [{ text: 'hello Ada' }] });
    await client.close();
  });

  it('survives a dropped connection: the ASP session resumes and nothing is lost or repeated', async () => {
    const client = await mcpClient();
    const seen: number[] = [];
    const reconnected = deferred();
    const off = agentClient.on('connect', (info) => {
      if (info.resumed) reconnected.resolve();
    });
    let dropped = false;
    const result = await client.callTool({ name: 'count', arguments: { n: 500 } }, undefined, {
      onprogress: (p) => {
        seen.push(p.progress);
        if (!dropped && p.progress === 100) {
          dropped = true;
          void agentClient.dropConnection();
        }
      },
    });
    await reconnected.promise;
    off();
    expect(result).toMatchObject({ content: [{ text: 'counted to 500' }] });
    expect(seen).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    expect(await client.callTool({ name: 'count', arguments: { n: 1 } })).toMatchObject({ content: [{ text: 'counted to 1' }] });
    await client.close();
  });

  it('closing the client closes the server side, once', async () => {
    const client = await mcpClient();
    await client.listTools();
    const transport = serverSide.at(-1);
    const closed = deferred();
    let count = 0;
    const previous = transport?.onclose;
    if (transport) {
      transport.onclose = () => {
        previous?.();
        count++;
        closed.resolve();
      };
    }
    await client.close();
    await closed.promise;
    expect(count).toBe(1);
    await expect(transport?.send({ jsonrpc: '2.0', method: 'notifications/initialized' })).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
  });
});
