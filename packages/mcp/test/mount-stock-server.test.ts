import { AgentClient, AgentServer, type Connector, memoryConnector, ProtocolError } from '@agentsocket/core';
import { wsConnector, wsServer } from '@agentsocket/ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MountedMcpServer, mountMcpServer } from '../src/index.js';
import { everythingServer, fixtureProcess, nextEvent } from './helpers.js';

interface Link {
  connect: Connector;
  close(): Promise<void>;
}

/** The same mounted agent, reached by our AgentClient over each transport. */
const links: Record<'memory' | 'ws', (server: AgentServer) => Promise<Link>> = {
  memory: async (server) => ({ connect: memoryConnector(server), close: async () => {} }),
  ws: async (server) => {
    const ws = await wsServer({ agentServer: server, port: 0, host: '127.0.0.1' });
    const url = ws.url;
    if (url === undefined) throw new Error('ws server has no url');
    return { connect: wsConnector({ url }), close: () => ws.close() };
  },
};

describe.each(['memory', 'ws'] as const)('a stock MCP server (server-everything over stdio) mounted as an agent, over %s', (kind) => {
  let mounted: MountedMcpServer;
  let server: AgentServer;
  let link: Link;
  let client: AgentClient;

  beforeAll(async () => {
    mounted = await mountMcpServer(everythingServer());
    server = new AgentServer(mounted.agent);
    link = await links[kind](server);
    client = new AgentClient({ connect: link.connect, reconnect: false });
    await client.connect();
  });
  afterAll(async () => {
    await client.close();
    server.close();
    await link.close();
    await mounted.close();
  });

  it('lists the server tools with their names, descriptions and JSON Schema', () => {
    const names = client.tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['echo', 'get-sum', 'trigger-long-running-operation']));
    expect(client.agent?.name).toBe('mcp-servers/everything');
    const echo = client.tools.find((t) => t.name === 'echo');
    expect(echo?.description).toBe('Echoes back the input string');
    expect(echo?.inputSchema).toMatchObject({ type: 'object', properties: { message: { type: 'string' } }, required: ['message'] });
  });

  it('calls tools', async () => {
    expect((await client.invoke('echo', { message: 'hi' }).result).value).toBe('Echo: hi');
    expect((await client.invoke('get-sum', { a: 2, b: 3 }).result).value).toBe('The sum of 2 and 3 is 5.');
  });

  it('turns notifications/progress into STREAM chunks, in order', async () => {
    const call = client.invoke('trigger-long-running-operation', { duration: 0.2, steps: 4 });
    const chunks: unknown[] = [];
    for await (const c of call) chunks.push(c);
    expect(chunks).toEqual([1, 2, 3, 4].map((progress) => ({ progress, total: 4 })));
    expect((await call.result).value).toMatch(/Long running operation completed/);
  });

  it('cancels the MCP request when the ASP call is interrupted', async () => {
    const abort = new AbortController();
    const started = performance.now();
    const call = client.invoke('trigger-long-running-operation', { duration: 60, steps: 600 }, { signal: abort.signal });
    for await (const _ of call) {
      abort.abort();
      break;
    }
    await expect(call.result).rejects.toMatchObject({ code: 499 });
    expect(performance.now() - started).toBeLessThan(30_000);
    // The MCP session is still good afterwards.
    expect((await client.invoke('echo', { message: 'after' }).result).value).toBe('Echo: after');
  });

  it('maps MCP argument errors to 422', async () => {
    const error: unknown = await client.invoke('get-sum', { a: 'x' }).result.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error).toMatchObject({ code: 422 });
  });
});

describe('a real SDK McpServer whose tools change at runtime, mounted and served over ws', () => {
  let mounted: MountedMcpServer;
  let server: AgentServer;
  let close: () => Promise<void>;
  let client: AgentClient;

  beforeAll(async () => {
    mounted = await mountMcpServer(fixtureProcess('dynamic-mcp-server.ts'));
    server = new AgentServer(mounted.agent);
    const ws = await wsServer({ agentServer: server, port: 0, host: '127.0.0.1' });
    close = () => ws.close();
    client = new AgentClient({ connect: wsConnector({ url: ws.url ?? '' }), reconnect: false });
    await client.connect();
  });
  afterAll(async () => {
    await client.close();
    server.close();
    await close();
    await mounted.close();
  });

  it('turns notifications/tools/list_changed into TOOL_DEF both ways', async () => {
    expect(client.tools.map((t) => t.name)).toEqual(['toggle-dynamic']);
    const added = nextEvent<[]>((l) => client.on('tools', () => l([])), () => client.tools.some((t) => t.name === 'dynamic'));
    expect((await client.invoke('toggle-dynamic').result).value).toBe('added');
    await added;
    expect(client.tools.find((t) => t.name === 'dynamic')?.inputSchema).toMatchObject({ properties: { n: { type: 'number' } } });
    expect((await client.invoke('dynamic', { n: 21 }).result).value).toBe('42');
    const removed = nextEvent<[]>((l) => client.on('tools', () => l([])), () => !client.tools.some((t) => t.name === 'dynamic'));
    await client.invoke('toggle-dynamic').result;
    await removed;
    await expect(client.invoke('dynamic', { n: 1 }).result).rejects.toMatchObject({ code: 404 });
  });
});
