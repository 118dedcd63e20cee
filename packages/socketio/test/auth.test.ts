import { AgentClient, ErrorCode, ProtocolError } from '@agentsocket/core';
import { io } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import { setup } from './helpers.js';

const start = setup();
const authenticate = (token: string | undefined) => (token === 'good' ? { id: 'alice' } : undefined);

describe('authentication at the Socket.IO handshake', () => {
  it('passes the principal from `auth.token` to the agent', async () => {
    const s = await start({ agent: { authenticate } });
    const client = await s.client({}, { token: 'good' });
    expect((await client.invoke('whoami').result).value).toEqual({ id: 'alice' });
    expect((await s.agentServer.nth(1)).info.principal).toEqual({ id: 'alice' });
  });

  it('accepts an Authorization: Bearer header, and a token function per connection', async () => {
    const s = await start({ agent: { authenticate } });
    const viaHeader = await s.client({}, { socketOptions: { extraHeaders: { Authorization: 'Bearer good' } } });
    expect((await viaHeader.invoke('whoami').result).value).toEqual({ id: 'alice' });
    const viaFunction = await s.client({}, { token: async () => 'good' });
    expect((await viaFunction.invoke('whoami').result).value).toEqual({ id: 'alice' });
  });

  it('refuses a bad token with a clear connect_error, and AgentClient stops with 401', async () => {
    const s = await start({ agent: { authenticate } });
    const raw = io(`${s.url}/asp`, { auth: { token: 'bad' }, transports: ['websocket'], reconnection: false, forceNew: true });
    const refused = await new Promise<Error & { data?: unknown }>((resolve) => raw.on('connect_error', resolve));
    raw.close();
    expect(refused.message).toBe('unauthorized: missing or invalid token');
    expect(refused.data).toEqual({ code: ErrorCode.UNAUTHORIZED });

    const client = new AgentClient({ connect: s.connector({ token: 'bad' }) });
    const error = await client.connect().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error).toMatchObject({ code: ErrorCode.UNAUTHORIZED, message: `${s.url}/asp refused the connection: unauthorized: missing or invalid token` });
    expect(s.agentServer.accepted).toHaveLength(0);
  });

  it('stops reconnecting when the token is refused on a reconnect', async () => {
    const s = await start({ agent: { authenticate } });
    let attempts = 0;
    const client = await s.client(
      {},
      {
        token: () => {
          attempts++;
          return attempts === 1 ? 'good' : 'revoked';
        },
      },
    );
    const call = client.invoke('count', { n: 1_000_000 });
    await call[Symbol.asyncIterator]().next();
    const fatal = new Promise<unknown>((resolve) => client.on('error', resolve));
    s.server.dropConnections();
    expect(await fatal).toMatchObject({ name: 'ProtocolError', code: ErrorCode.UNAUTHORIZED });
    await expect(call.result).rejects.toMatchObject({ code: ErrorCode.UNAUTHORIZED });
    expect(attempts).toBe(2);
  });

  it('leaves a connection without a handshake token to the token in HELLO', async () => {
    const s = await start({ agent: { authenticate } });
    const client = await s.client({ token: 'good' });
    expect((await client.invoke('whoami').result).value).toEqual({ id: 'alice' });
    const bad = new AgentClient({ connect: s.connector(), token: 'bad', reconnect: false });
    await expect(bad.connect()).rejects.toMatchObject({ name: 'ProtocolError', code: ErrorCode.UNAUTHORIZED });
  });

  it('answers a throwing authenticate hook with a retryable 503 refusal', async () => {
    const s = await start({
      agent: {
        authenticate: () => {
          throw new Error('directory is down');
        },
      },
    });
    const client = new AgentClient({ connect: s.connector({ token: 'any' }), reconnect: false });
    await expect(client.connect()).rejects.toMatchObject({ code: ErrorCode.UNAVAILABLE });
  });
});
