import { AgentClient } from '@agentsocket/core';
import { afterEach, describe, expect, it } from 'vitest';
import { wsConnector } from '../src/index.js';
import { startServer } from './helpers.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('AgentClient ↔ AgentServer over ws', () => {
  it('invokes a streaming tool and gets every chunk, then the result', async () => {
    const { server, url } = await startServer();
    cleanups.push(() => server.close());
    const client = new AgentClient({ connect: wsConnector({ url }) });
    cleanups.push(() => client.close());
    await client.connect();
    expect(client.agent).toEqual({ name: 'ws-test' });

    const call = client.invoke('tokens', { text: 'the quick brown fox' });
    const chunks: unknown[] = [];
    for await (const chunk of call) chunks.push(chunk);
    expect(chunks).toEqual(['the', 'quick', 'brown', 'fox']);
    const result = await call.result;
    expect(result.value).toEqual({ words: 4 });
    expect(result.metrics.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('lets the agent ask the client a question mid-stream', async () => {
    const { server, url } = await startServer();
    cleanups.push(() => server.close());
    const client = new AgentClient({
      connect: wsConnector({ url }),
      tools: { question: { handler: (args) => `the blue one (asked ${JSON.stringify(args)})` } },
    });
    cleanups.push(() => client.close());
    await client.connect();
    const call = client.invoke('clarify');
    const chunks: unknown[] = [];
    for await (const chunk of call) chunks.push(chunk);
    expect(chunks).toEqual(['thinking']);
    expect((await call.result).value).toEqual({ answer: 'the blue one (asked {"q":"which one?"})' });
  });

  it('reconnects through the connector and resumes after the server drops the socket', async () => {
    const { server, url } = await startServer();
    cleanups.push(() => server.close());
    const client = new AgentClient({ connect: wsConnector({ url }), reconnect: { initialMs: 5, maxMs: 20 } });
    cleanups.push(() => client.close());
    const first = await client.connect();
    const resumed = new Promise<boolean>((resolve) => client.on('connect', (info) => resolve(info.resumed)));
    for (const socket of server.sockets) socket.terminate();
    expect(await resumed).toBe(true);
    expect(client.sessionId).toBe(first.sessionId);
    const chunks: unknown[] = [];
    for await (const chunk of client.invoke('tokens', { text: 'after the drop' })) chunks.push(chunk);
    expect(chunks).toEqual(['after', 'the', 'drop']);
  });
});
