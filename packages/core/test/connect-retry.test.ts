import { afterEach, describe, expect, it } from 'vitest';
import {
  AgentClient,
  type AgentClientOptions,
  AgentServer,
  AgentSocketError,
  type Connector,
  defineAgent,
  ErrorCode,
  memoryConnector,
  ProtocolError,
  type ReconnectingInfo,
  tool,
  type Transport,
} from '../src/index.js';
import { memoryTransportPair } from '../src/index.transport.js';

const agent = () => defineAgent({ name: 'echo', tools: { echo: tool({ handler: (args) => args }) } });
const fast = { initialMs: 5, maxMs: 20 };

/** A connection that opens and then dies during the handshake, as on a node being killed. */
function dyingTransport(): Transport {
  const [client, server] = memoryTransportPair();
  server.onframe = () => void server.close(1011, 'node died');
  server.onclose = () => {};
  server.start();
  return client;
}

/** Each attempt takes the next behaviour from the list; once it is used up, the real server. */
function scripted(server: AgentServer, script: Array<'refused' | 'dies'>): Connector & { calls: number } {
  const real = memoryConnector(server);
  const connector = Object.assign(
    async (signal: AbortSignal): Promise<Transport> => {
      connector.calls++;
      const step = script.shift();
      if (step === 'refused') throw new AgentSocketError('HANDSHAKE_FAILED', 'cannot connect to memory://node-1: connect ECONNREFUSED');
      if (step === 'dies') return dyingTransport();
      return real(signal);
    },
    { calls: 0 },
  );
  return connector;
}

const clients: AgentClient[] = [];
const servers: AgentServer[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  for (const s of servers.splice(0)) s.close();
});

function client(options: AgentClientOptions): { client: AgentClient; retries: ReconnectingInfo[] } {
  const c = new AgentClient(options);
  clients.push(c);
  const retries: ReconnectingInfo[] = [];
  c.on('reconnecting', (info) => retries.push(info));
  return { client: c, retries };
}

function server(options: ConstructorParameters<typeof AgentServer>[1] = {}): AgentServer {
  const s = new AgentServer(agent(), options);
  servers.push(s);
  return s;
}

describe('connect() retries with the reconnect backoff', () => {
  it('retries failed attempts and says why before each retry', async () => {
    const connector = scripted(server(), ['refused', 'dies']);
    const { client: c, retries } = client({ connect: connector, reconnect: fast });
    const info = await c.connect();
    expect(info.resumed).toBe(false);
    expect(connector.calls).toBe(3);
    expect(retries.map((r) => r.attempt)).toEqual([1, 2]);
    expect(retries[0]?.cause).toMatchObject({ code: 'HANDSHAKE_FAILED', message: expect.stringContaining('ECONNREFUSED') });
    expect(retries[1]?.cause).toMatchObject({ code: 'HANDSHAKE_FAILED', message: 'connection closed during handshake (1011 node died)' });
    for (const r of retries) expect(r.delayMs).toBeLessThanOrEqual(fast.maxMs);
    expect((await c.invoke('echo', { ok: 1 }).result).value).toEqual({ ok: 1 });
  });

  it('rejects with the last error after connectAttempts (default 5)', async () => {
    const connector = scripted(server(), ['refused', 'refused', 'refused', 'refused', 'refused', 'refused']);
    const { client: c, retries } = client({ connect: connector, reconnect: fast });
    await expect(c.connect()).rejects.toMatchObject({ code: 'HANDSHAKE_FAILED', message: expect.stringContaining('ECONNREFUSED') });
    expect(connector.calls).toBe(5);
    expect(retries).toHaveLength(4);
  });

  it('connectAttempts: 1, or reconnect: false, turns retrying off', async () => {
    for (const options of [{ connectAttempts: 1, reconnect: fast }, { reconnect: false as const }]) {
      const connector = scripted(server(), ['refused']);
      const { client: c, retries } = client({ connect: connector, ...options });
      await expect(c.connect()).rejects.toMatchObject({ code: 'HANDSHAKE_FAILED' });
      expect(connector.calls).toBe(1);
      expect(retries).toHaveLength(0);
    }
  });

  it('retries a 503 from the server, but not a refusal that will not change', async () => {
    let down = 2;
    const flaky = server({
      authenticate: () => {
        if (down-- > 0) throw new Error('directory is down');
        return { id: 'alice' };
      },
    });
    const { client: c, retries } = client({ connect: memoryConnector(flaky), reconnect: fast, token: 't' });
    await c.connect();
    expect(retries.map((r) => r.cause)).toEqual([expect.any(ProtocolError), expect.any(ProtocolError)]);
    expect(retries[0]?.cause.code).toBe(ErrorCode.UNAVAILABLE);

    const strict = server({ authenticate: () => undefined });
    const refused = client({ connect: memoryConnector(strict), reconnect: fast, token: 'bad' });
    await expect(refused.client.connect()).rejects.toMatchObject({ code: ErrorCode.UNAUTHORIZED });
    expect(refused.retries).toHaveLength(0);
  });

  it('refuses a connectAttempts below 1 (or NaN) before trying', async () => {
    for (const connectAttempts of [0, -1, Number.NaN]) {
      const connector = scripted(server(), []);
      const { client: c } = client({ connect: connector, connectAttempts });
      await expect(c.connect()).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
      expect(connector.calls).toBe(0);
    }
  });

  it('close() during the wait ends connect() with CLIENT_CLOSED', async () => {
    const connector = scripted(server(), ['refused']);
    const { client: c } = client({ connect: connector, reconnect: { initialMs: 60_000, maxMs: 60_000, jitter: 0 } });
    c.on('reconnecting', () => void c.close());
    await expect(c.connect()).rejects.toMatchObject({ code: 'CLIENT_CLOSED' });
    expect(connector.calls).toBe(1);
  });
});

describe('reconnecting carries the cause of the last failed attempt', () => {
  it('first the drop, then each failed attempt', async () => {
    const s = server();
    const script: Array<'refused' | 'dies'> = [];
    const connector = scripted(s, script);
    const { client: c, retries } = client({ connect: connector, reconnect: fast });
    await c.connect();
    script.push('refused', 'dies');
    const back = new Promise((resolve) => c.on('connect', resolve));
    await c.dropConnection();
    expect(await back).toMatchObject({ resumed: true });
    expect(retries.map((r) => r.attempt)).toEqual([1, 2, 3]);
    expect(retries[0]?.cause).toMatchObject({ code: 'CONNECTION_LOST', message: 'connection closed (1001 dropped by client)' });
    expect(retries[1]?.cause).toMatchObject({ code: 'HANDSHAKE_FAILED', message: expect.stringContaining('ECONNREFUSED') });
    expect(retries[2]?.cause).toMatchObject({ code: 'HANDSHAKE_FAILED', message: expect.stringContaining('node died') });
    for (const r of retries) expect(r.cause).toBeInstanceOf(Error);
  });

  it('giving up names the last cause', async () => {
    const s = server();
    const script: Array<'refused' | 'dies'> = [];
    const { client: c } = client({ connect: scripted(s, script), reconnect: { ...fast, maxAttempts: 2 } });
    await c.connect();
    script.push('refused', 'refused');
    const call = c.invoke('echo', {});
    const ended = new Promise<void>((resolve) => c.on('reconnecting', (r) => r.attempt === 2 && resolve()));
    await c.dropConnection();
    await ended;
    await expect(call.result).rejects.toMatchObject({ code: 'CONNECTION_LOST', message: expect.stringMatching(/^gave up after 2 reconnect attempts: .*ECONNREFUSED/) });
  });
});
