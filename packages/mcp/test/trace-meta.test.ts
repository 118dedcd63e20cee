import { AgentClient, AgentServer, defineAgent, memoryConnector } from '@agentsocket/core';
import { afterEach, describe, expect, it } from 'vitest';
import { mcpHttpServer, mountMcpServer } from '../src/index.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('trace context across the bridge', () => {
  it('an ASP call to a mounted MCP tool sends its traceparent as params._meta.traceparent, which the served agent reads as ctx.traceparent', async () => {
    const agent = defineAgent({ name: 'traced', tools: { where: { handler: (_args, ctx) => ({ traceparent: ctx.traceparent ?? null }) } } });
    const http = await mcpHttpServer(agent, { transport: { enableJsonResponse: true } });
    cleanups.push(() => http.close());
    const mounted = await mountMcpServer({ url: http.url });
    cleanups.push(() => mounted.close());
    const server = new AgentServer(mounted.agent);
    cleanups.push(() => server.close());
    const client = new AgentClient({ connect: memoryConnector(server), reconnect: false });
    await client.connect();
    cleanups.push(() => client.close());
    const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    expect((await client.invoke('where', {}, { traceparent: tp }).result).value).toEqual({ traceparent: tp });
    expect((await client.invoke('where', {}).result).value).toEqual({ traceparent: null });
  });
});
