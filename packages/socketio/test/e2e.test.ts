import { createServer } from 'node:http';
import { AgentClient, AgentSocketError } from '@agentsocket/core';
import { Server } from 'socket.io';
import { describe, expect, it } from 'vitest';
import { socketIoConnector } from '../src/index.js';
import { socketIoServer } from '../src/index.server.js';
import { RecordingServer, setup, testAgent } from './helpers.js';

const start = setup();

describe('AgentClient ↔ AgentServer over Socket.IO', () => {
  it('invokes, streams, learns a tool by TOOL_DEF and answers the agent’s question', async () => {
    const s = await start();
    const client = await s.client({ tools: { clarify: { handler: (a) => `this one (${JSON.stringify(a)})` } } });
    expect(client.agent).toEqual({ name: 'sio-test', version: '1.0.0' });

    expect((await client.invoke('echo', { text: 'über', n: [1, 2] }).result).value).toEqual({ text: 'über', n: [1, 2] });

    const call = client.invoke('count', { n: 100 });
    const chunks: unknown[] = [];
    for await (const c of call) chunks.push(c);
    expect(chunks).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect((await call.result).value).toEqual({ total: 100 });

    const announced = new Promise<void>((resolve) =>
      client.on('tools', (tools) => {
        if (tools.some((t) => t.name === 'learned')) resolve();
      }),
    );
    await client.invoke('learn').result;
    await announced;
    expect((await client.invoke('learned').result).value).toBe('learned!');

    expect((await client.invoke('ask').result).value).toEqual({ answer: 'this one ({"q":"which?"})' });
    expect(s.agentServer.accepted[0]?.info).toMatchObject({ transport: 'socket.io', path: '/asp' });
  });

  it('carries an 8 MiB payload both ways with the default limits', async () => {
    const s = await start();
    const client = await s.client();
    const blob = new Uint8Array(8 * 1024 * 1024);
    for (let i = 0; i < blob.length; i += 4096) blob[i] = i % 251;
    const r = await client.invoke('echo', { blob }).result;
    const back = (r.value as { blob: Uint8Array }).blob;
    expect(Buffer.from(back).equals(Buffer.from(blob))).toBe(true);
  });

  it('resumes the session after the server drops the Socket.IO connection', async () => {
    const s = await start();
    const client = await s.client();
    const resumed = new Promise<boolean>((resolve) => client.on('connect', (info) => resolve(info.resumed)));
    let disconnectedAt = -1;
    client.on('disconnect', (info) => {
      disconnectedAt = seen.length;
      expect(info).toMatchObject({ code: 1006, local: false });
    });
    const call = client.invoke('count', { n: 2000 });
    const seen: unknown[] = [];
    for await (const c of call) {
      seen.push(c);
      if (seen.length === 100) s.server.dropConnections();
    }
    expect(await resumed).toBe(true);
    expect(disconnectedAt).toBeGreaterThanOrEqual(100);
    expect(disconnectedAt).toBeLessThan(2000);
    expect(seen).toEqual(Array.from({ length: 2000 }, (_, i) => i));
    expect(s.agentServer.accepted.length).toBe(2);
  });
});

describe('HTTP long-polling fallback', () => {
  it('invokes and streams with a client that only polls', async () => {
    const s = await start({ server: { transports: ['polling', 'websocket'] } });
    const client = await s.client({}, { transports: ['polling'] });
    expect((await client.invoke('echo', { via: 'polling' }).result).value).toEqual({ via: 'polling' });
    const call = client.invoke('count', { n: 50 });
    const chunks: unknown[] = [];
    for await (const c of call) chunks.push(c);
    expect(chunks).toEqual(Array.from({ length: 50 }, (_, i) => i));
    const blob = new Uint8Array(256 * 1024).fill(7);
    const r = await client.invoke('echo', { blob }).result;
    expect((r.value as { blob: Uint8Array }).blob.byteLength).toBe(blob.byteLength);
  });

  it('keeps a stream whole across the upgrade from polling to WebSocket', async () => {
    const s = await start({ server: { transports: ['polling', 'websocket'] } });
    const client = await s.client({}, { transports: ['polling', 'websocket'] });
    const call = client.invoke('count', { n: 500 });
    const chunks: unknown[] = [];
    for await (const c of call) chunks.push(c);
    expect(chunks).toEqual(Array.from({ length: 500 }, (_, i) => i));
  });

  it('refuses a polling client when the server allows WebSocket only (the default)', async () => {
    const s = await start();
    const client = new AgentClient({ connect: s.connector({ transports: ['polling'] }), reconnect: false });
    await expect(client.connect()).rejects.toMatchObject({ code: 'HANDSHAKE_FAILED' });
  });
});

describe('attaching to a Socket.IO server the application owns', () => {
  it('serves a family of namespaces (one per team) on an existing io', async () => {
    const http = createServer();
    const io = new Server(http, { maxHttpBufferSize: 17 * 1024 * 1024 });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const address = http.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const agentServer = new RecordingServer(testAgent());
    const server = await socketIoServer({ agentServer, io, namespace: /^\/team-[a-z]+$/ });
    try {
      const client = new AgentClient({ connect: socketIoConnector({ url: `http://127.0.0.1:${port}`, namespace: '/team-alpha' }) });
      await client.connect();
      expect((await client.invoke('echo', { team: 'alpha' }).result).value).toEqual({ team: 'alpha' });
      expect((await agentServer.nth(1)).info.path).toBe('/team-alpha');
      await client.close();
    } finally {
      agentServer.close();
      await server.close();
      await io.close();
    }
  });

  it('works on an io with connection state recovery on (its offsets are ignored; core resumes)', async () => {
    const s = await start({ server: { serverOptions: { connectionStateRecovery: { maxDisconnectionDuration: 10_000 } } } });
    const client = await s.client();
    const resumed = new Promise<boolean>((resolve) => client.on('connect', (info) => resolve(info.resumed)));
    const call = client.invoke('count', { n: 300 });
    const seen: unknown[] = [];
    for await (const c of call) {
      seen.push(c);
      if (seen.length === 50) s.server.dropConnections();
    }
    expect(seen).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(await resumed).toBe(true);
    expect((await client.invoke('echo', { after: 'recovery' }).result).value).toEqual({ after: 'recovery' });
  });

  it('refuses an io whose maxHttpBufferSize cannot carry the AgentServer’s largest frame', async () => {
    const http = createServer();
    const io = new Server(http); // Socket.IO's default is 1 MB
    try {
      const error = await socketIoServer({ agentServer: new RecordingServer(testAgent()), io }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AgentSocketError);
      expect(error).toMatchObject({ code: 'INVALID_OPTIONS' });
    } finally {
      await io.close();
    }
  });
});
