import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  type ClientCapabilities,
  ElicitRequestSchema,
  ErrorCode,
  SUPPORTED_PROTOCOL_VERSIONS,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type McpHttpServer, META, mcpHttpServer, OrderedTransport, orderedTransport } from '../src/index.js';
import { createDemoAgent } from './fixtures/demo-agent.js';
import { fixtureProcess } from './helpers.js';

interface Served {
  transport(): Transport;
  close(): Promise<void>;
}

const servers: Record<'stdio' | 'http', () => Promise<Served>> = {
  // A real child process speaking newline-delimited JSON-RPC on its stdio.
  stdio: async () => ({ transport: () => new StdioClientTransport(fixtureProcess('stdio-agent.ts')), close: async () => {} }),
  // A real HTTP server on 127.0.0.1 with a port the OS picked.
  http: async () => {
    const http: McpHttpServer = await mcpHttpServer(createDemoAgent());
    return { transport: () => new StreamableHTTPClientTransport(new URL(http.url)), close: () => http.close() };
  },
};

describe.each(['stdio', 'http'] as const)('an agent served over MCP %s, driven by the SDK Client', (kind) => {
  let served: Served;
  const clients: Client[] = [];

  async function connect(capabilities: ClientCapabilities = {}): Promise<Client> {
    const client = new Client({ name: 'test-client', version: '1.0.0' }, { capabilities });
    clients.push(client);
    // The stock client drops progress read together with its response (SDK issue #2580); see ordered-transport.ts.
    await client.connect(orderedTransport(served.transport()));
    return client;
  }

  beforeAll(async () => {
    served = await servers[kind]();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await served.close();
  });

  it('negotiates as the SDK does and lists the tools with their JSON Schema', async () => {
    const client = await connect();
    expect(client.getServerVersion()).toMatchObject({ name: 'demo', version: '1.0.0' });
    expect(client.getServerCapabilities()?.tools?.listChanged).toBe(true);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['echo', 'research', 'clarify', 'wait', 'toggle']));
    expect(tools.find((t) => t.name === 'echo')).toMatchObject({
      description: 'Returns its text',
      inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
    });
    const transport = client.transport instanceof OrderedTransport ? client.transport.inner : undefined;
    if (transport instanceof StreamableHTTPClientTransport) {
      // The SDK offers its latest version and our server (the SDK's) accepts it; nothing hard-coded here.
      expect(SUPPORTED_PROTOCOL_VERSIONS).toContain(transport.protocolVersion);
    }
  });

  it('calls a tool: text for strings, JSON text plus structuredContent for objects', async () => {
    const client = await connect();
    expect(await client.callTool({ name: 'echo', arguments: { text: 'hi' } })).toMatchObject({ content: [{ type: 'text', text: 'hi' }] });
    const stats = await client.callTool({ name: 'stats' });
    expect(stats.structuredContent).toEqual({ interrupted: expect.any(Number) });
    expect(stats.content).toEqual([{ type: 'text', text: JSON.stringify(stats.structuredContent) }]);
  });

  it('streams chunks as notifications/progress, in order, then the result', async () => {
    const client = await connect();
    const progress: Array<{ progress: number; message?: string | undefined; _meta?: Record<string, unknown> | undefined }> = [];
    const result = await client.callTool({ name: 'research', arguments: { topic: 'MCP' } }, undefined, {
      onprogress: (p) => progress.push(p),
    });
    expect(progress.map((p) => p.message)).toEqual(['Looking', ' into', ' MCP', '.']);
    expect(progress.map((p) => p.progress)).toEqual([1, 2, 3, 4]);
    expect(progress[2]?._meta?.[META.chunk]).toBe(' MCP');
    expect(result.structuredContent).toEqual({ topic: 'MCP', tokens: 4 });
  });

  it('maps errors: unknown tool is -32602, bad arguments and a thrown error are isError results', async () => {
    const client = await connect();
    await expect(client.callTool({ name: 'nope' })).rejects.toMatchObject({
      code: ErrorCode.InvalidParams,
      message: 'MCP error -32602: Tool nope not found',
      data: { [META.errorCode]: 404 },
    });
    expect(await client.callTool({ name: 'echo', arguments: { text: 5 } })).toMatchObject({
      isError: true,
      content: [{ type: 'text', text: expect.stringContaining('invalid arguments for "echo"') }],
      _meta: { [META.errorCode]: 422 },
    });
    const failed = await client.callTool({ name: 'fail' });
    expect(failed).toMatchObject({ isError: true, content: [{ type: 'text', text: 'it broke' }], _meta: { [META.errorCode]: 500 } });
  });

  it('turns tools added and removed at runtime into notifications/tools/list_changed', async () => {
    const client = await connect();
    const changes: string[][] = [];
    let notify: () => void = () => {};
    client.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
      changes.push((await client.listTools()).tools.map((t) => t.name));
      notify();
    });
    const changed = () => new Promise<void>((resolve) => (notify = resolve));
    let next = changed();
    await client.callTool({ name: 'toggle' });
    await next;
    expect(changes.at(-1)).toContain('extra');
    expect(await client.callTool({ name: 'extra' })).toMatchObject({ content: [{ text: 'extra!' }] });
    next = changed();
    await client.callTool({ name: 'toggle' });
    await next;
    expect(changes.at(-1)).not.toContain('extra');
    next = changed();
    await client.callTool({ name: 'learn' });
    await next;
    expect(changes.at(-1)).toContain('learned');
    expect(await client.callTool({ name: 'learned' })).toMatchObject({ content: [{ text: 'learned!' }] });
  });

  it('aborts the handler on notifications/cancelled', async () => {
    const client = await connect();
    const before = await interruptedCount(client);
    const abort = new AbortController();
    const call = client.callTool({ name: 'wait' }, undefined, { signal: abort.signal, onprogress: () => abort.abort('enough') });
    await expect(call).rejects.toBeDefined();
    // The handler counts its interruptions; ask until it has (each ask is a full round trip, no sleep).
    let after = before;
    for (let i = 0; i < 100 && after === before; i++) after = await interruptedCount(client);
    expect(after).toBe(before + 1);
  });

  it('turns a question the agent asks mid-call into elicitation/create', async () => {
    const client = await connect({ elicitation: {} });
    const asked: string[] = [];
    client.setRequestHandler(ElicitRequestSchema, (request) => {
      asked.push(request.params.message);
      return { action: 'accept', content: { answer: 'MCP' } };
    });
    const result = await client.callTool({ name: 'clarify' });
    expect(asked).toEqual(['Which topic?']);
    expect(result.content).toEqual([{ type: 'text', text: 'researching MCP' }]);
  });

  it('gives the agent a clear 404 when the client cannot answer questions', async () => {
    const client = await connect();
    const result = await client.callTool({ name: 'clarify' });
    expect(result.isError).toBe(true);
    expect(result._meta?.[META.errorCode]).toBe(404);
    expect(JSON.stringify(result.content)).toContain('did not declare the elicitation');
  });
});

async function interruptedCount(client: Client): Promise<number> {
  const r = await client.callTool({ name: 'stats' });
  const s = r.structuredContent;
  const n: unknown = typeof s === 'object' && s !== null && 'interrupted' in s ? s.interrupted : undefined;
  return typeof n === 'number' ? n : -1;
}
