import { AgentClient, AgentServer, memoryConnector, ProtocolError } from '@agentsocket/core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type McpHttpServer, META, type MountedMcpServer, mcpErrorToAsp, mcpHttpServer, mountMcpServer } from '../src/index.js';
import { createDemoAgent } from './fixtures/demo-agent.js';

/**
 * Errors of tools/call as the 2025-11-25 spec (SEP-1303) has them: an unknown tool is a protocol
 * error (-32602), arguments that fail the schema are a tool execution error (isError) the model
 * can read. No message carries "MCP error <code>: " twice, in either direction.
 */
describe('tools/call errors of an agent served over Streamable HTTP', () => {
  let http: McpHttpServer;
  let client: Client;
  let mounted: MountedMcpServer;
  let asp: AgentClient;
  let aspServer: AgentServer;

  beforeAll(async () => {
    http = await mcpHttpServer(createDemoAgent(), { transport: { enableJsonResponse: true } });
    client = new Client({ name: 'sdk', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(http.url)));
    // The other direction: the same server mounted as an agent, called by an ASP client.
    mounted = await mountMcpServer({ url: http.url });
    aspServer = new AgentServer(mounted.agent);
    asp = new AgentClient({ connect: memoryConnector(aspServer), reconnect: false });
    await asp.connect();
  });
  afterAll(async () => {
    await asp.close();
    aspServer.close();
    await mounted.close();
    await client.close();
    await http.close();
  });

  it('SDK client: unknown tool is JSON-RPC -32602 with one prefix', async () => {
    const error: unknown = await client.callTool({ name: 'nope' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: ErrorCode.InvalidParams, data: { [META.errorCode]: 404 } });
    expect(error instanceof Error ? error.message : '').toBe('MCP error -32602: Tool nope not found');
  });

  it('SDK client: arguments that fail the schema are an isError result the model can read', async () => {
    const result = await client.callTool({ name: 'echo', arguments: { text: 5 } });
    expect(result.isError).toBe(true);
    expect(result._meta?.[META.errorCode]).toBe(422);
    const [block] = Array.isArray(result.content) ? result.content : [];
    expect(block).toMatchObject({ type: 'text', text: expect.stringMatching(/^invalid arguments for "echo": .*string/) });
    expect(JSON.stringify(result.content)).not.toContain('MCP error');
    // The session goes on: the model can correct itself.
    expect(await client.callTool({ name: 'echo', arguments: { text: 'ok' } })).toMatchObject({ content: [{ text: 'ok' }] });
  });

  it('raw HTTP: the JSON-RPC error message on the wire has no prefix', async () => {
    const post = (body: unknown, session?: string) =>
      fetch(http.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-protocol-version': LATEST_PROTOCOL_VERSION,
          ...(session === undefined ? {} : { 'mcp-session-id': session }),
        },
        body: JSON.stringify(body),
      });
    const init = await post({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    });
    const session = init.headers.get('mcp-session-id') ?? undefined;
    expect(session).toBeDefined();
    await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, session);
    const unknown = await post({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'nope', arguments: {} } }, session);
    expect(await unknown.json()).toEqual({
      jsonrpc: '2.0',
      id: 2,
      error: { code: -32602, message: 'Tool nope not found', data: { [META.errorCode]: 404 } },
    });
    const invalid = await post({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'echo', arguments: {} } }, session);
    expect(await invalid.json()).toMatchObject({ id: 3, result: { isError: true, content: [{ type: 'text', text: expect.stringContaining('invalid arguments for "echo"') }] } });
  });

  it('mounted as an agent: the ASP caller gets 404 and 422 with the bare text', async () => {
    const invalid: unknown = await asp.invoke('echo', {}).result.catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(ProtocolError);
    expect(invalid).toMatchObject({ code: 422, message: expect.stringMatching(/^invalid arguments for "echo": /) });
    // A tool the server dropped after the mount listed it: the MCP server answers -32602 "not found".
    const gone = await mounted.client.callTool({ name: 'nope' }).catch((e: unknown) => e);
    expect(gone instanceof Error ? gone.message : '').toBe('MCP error -32602: Tool nope not found');
    expect(mcpErrorToAsp(gone)).toMatchObject({ code: 404, message: 'Tool nope not found' });
  });
});
