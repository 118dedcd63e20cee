import { createServer } from 'node:net';
import { AgentClient, type ReconnectingInfo } from '@agentsocket/core';
import { afterEach, describe, expect, it } from 'vitest';
import { type WsServer, wsConnector } from '../src/index.js';
import { startServer } from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A local port that nothing listens on (taken from the OS, then let go). */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

async function serveOn(port: number): Promise<WsServer> {
  const { agentServer, server } = await startServer({}, { port });
  cleanups.push(
    () => agentServer.close(),
    () => server.close(),
  );
  return server;
}

describe('AgentClient over ws: connect() retries, reconnecting says why', () => {
  it('connect() waits out a server that is not up yet, then connects', async () => {
    const port = await freePort();
    const url = `ws://127.0.0.1:${port}/asp`;
    const client = new AgentClient({ connect: wsConnector({ url }), reconnect: { initialMs: 20, maxMs: 100 } });
    cleanups.push(() => client.close());
    const retries: ReconnectingInfo[] = [];
    let starting: Promise<WsServer> | undefined;
    client.on('reconnecting', (info) => {
      retries.push(info);
      starting ??= serveOn(port); // the server comes up while the client waits
    });
    const info = await client.connect();
    expect(info.resumed).toBe(false);
    await starting;
    expect(retries.length).toBeGreaterThanOrEqual(1);
    expect(retries[0]).toMatchObject({ attempt: 1, cause: { code: 'CONNECTION_LOST' } });
    expect(retries[0]?.cause.message).toContain(url);
    expect(retries[0]?.cause.message).toContain('ECONNREFUSED');
    expect((await client.invoke('tokens', { text: 'a b' }).result).value).toEqual({ words: 2 });
  });

  it('without retries connect() rejects at once, naming the URL', async () => {
    const url = `ws://127.0.0.1:${await freePort()}/asp`;
    const client = new AgentClient({ connect: wsConnector({ url }), connectAttempts: 1 });
    cleanups.push(() => client.close());
    await expect(client.connect()).rejects.toMatchObject({ code: 'CONNECTION_LOST', message: expect.stringContaining(url) });
  });

  it('after a drop: the close first, then why each attempt failed, until the server is back', async () => {
    const port = await freePort();
    const url = `ws://127.0.0.1:${port}/asp`;
    const first = await startServer({}, { port });
    const client = new AgentClient({ connect: wsConnector({ url }), reconnect: { initialMs: 20, maxMs: 100 } });
    cleanups.push(() => client.close());
    await client.connect();
    const retries: ReconnectingInfo[] = [];
    let restarting: Promise<WsServer> | undefined;
    const back = new Promise((resolve) => client.on('connect', resolve));
    client.on('reconnecting', (info) => {
      retries.push(info);
      // Once an attempt has found nothing listening, bring a server back on the same port.
      if (info.cause.message.includes('ECONNREFUSED')) restarting ??= serveOn(port);
    });
    // A reconnect that reaches the server while it shuts down gets 503 (retried), never a final 426.
    first.agentServer.close();
    await first.server.close();
    await back;
    await restarting;
    expect(retries[0]?.cause.code).toBe('CONNECTION_LOST');
    expect(retries[0]?.cause.message).toMatch(/^connection closed \(\d+/);
    const refused = retries.find((r) => r.cause.message.includes('ECONNREFUSED'));
    expect(refused?.cause.message).toContain(url);
    expect((await client.invoke('tokens', { text: 'x' }).result).value).toEqual({ words: 1 });
    await client.close();
  });
});
