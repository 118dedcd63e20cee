import { describe, expect, it } from 'vitest';
import { AgentClient, AgentServer, defineAgent, ErrorCode, memoryConnector, tool } from '../src/index.js';
import type { Peer } from '../src/index.internal.js';

/**
 * A client's serving side (its tool registry, the incoming-call machinery, its dedup store) loads
 * on first use. What the server sees must not change: the same answers, the same announcements,
 * the same refusals, whether the client served tools from the start or not at all.
 */
function setup(client: (connect: ReturnType<typeof memoryConnector>) => AgentClient) {
  const server = new AgentServer(defineAgent({ name: 'host' }));
  const c = client(memoryConnector(server));
  const session = (): Peer => {
    const peer = server.peerOf(c.sessionId ?? '');
    if (!peer) throw new Error('no session on the server');
    return peer;
  };
  return { server, client: c, session };
}

describe("a client's serving side, loaded on first use", () => {
  it('answers an INVOKE to a client that serves no tools with ERROR 404, and a call routed on with 406', async () => {
    const { server, client, session } = setup((connect) => new AgentClient({ connect, reconnect: false }));
    await client.connect();
    await expect(session().invoke('anything', {}).result).rejects.toMatchObject({
      code: ErrorCode.TOOL_NOT_FOUND,
      message: 'no tool named "anything"; this peer serves no tools',
    });
    // Several at once, while the module may still be loading: each gets its own answer.
    const calls = ['a', 'b', 'c'].map((name) => session().invoke(name, {}, { delivery: 'at-most-once' }).result);
    for (const [i, call] of calls.entries()) await expect(call).rejects.toMatchObject({ code: ErrorCode.TOOL_NOT_FOUND, message: expect.stringContaining(`"${'abc'[i]}"`) });
    await expect(session().invoke('x', {}, { to: 'someone' }).result).rejects.toMatchObject({ code: ErrorCode.AGENT_NOT_FOUND });
    await client.close();
    server.close();
  });

  it('announces a first tool added after connect() and serves it, exactly once included', async () => {
    const { server, client, session } = setup((connect) => new AgentClient({ connect, reconnect: false }));
    await client.connect();
    expect(session().remoteTools).toEqual([]);
    let runs = 0;
    client.addTool('count', tool({ input: { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] }, handler: (args) => ++runs + args.n }));
    await expect.poll(() => session().remoteTools.map((t) => t.name), { timeout: 5000 }).toEqual(['count']);
    expect((await session().invoke('count', { n: 10 }).result).value).toBe(11);
    // exactly-once: the client's default dedup store, made on first use, answers the repeat.
    const first = await session().invoke('count', { n: 0 }, { delivery: 'exactly-once', messageId: 'once-1' }).result;
    const again = await session().invoke('count', { n: 0 }, { delivery: 'exactly-once', messageId: 'once-1' }).result;
    expect([first.value, again.value, runs]).toEqual([2, 2, 2]);
    await expect(session().invoke('count', { n: 'x' }).result).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENTS });
    await client.close();
    server.close();
  });

  it('puts tools given to the constructor in the HELLO, and checks names at once', async () => {
    const { server, client, session } = setup(
      (connect) => new AgentClient({ connect, reconnect: false, tools: { ping: tool({ handler: () => 'pong' }) } }),
    );
    expect(() => client.addTool('asp.mine', { handler: () => 1 })).toThrow(/reserved/);
    expect(() => client.addTool('bad name', { handler: () => 1 })).toThrow(/must be 1-128/);
    expect(() => client.addTool('ping', { handler: () => 1 })).toThrow(/already defined/);
    await client.connect();
    // In the HELLO: there as soon as the session is.
    expect(session().remoteTools.map((t) => t.name)).toEqual(['ping']);
    expect((await session().invoke('ping', {}).result).value).toBe('pong');
    expect(() => client.addTool('ping', { handler: () => 1 })).toThrow(/already defined/);
    await client.close();
    server.close();
  });

  it('rejects connect() when a tool added before the registry loaded cannot be registered', async () => {
    const broken = { '~standard': { version: 1 as const, vendor: 'x', validate: (v: unknown) => ({ value: v }), jsonSchema: { input: () => { throw new Error('no JSON Schema for this'); } } } };
    const { server, client } = setup((connect) => new AgentClient({ connect, reconnect: false, tools: { odd: { input: broken, handler: () => 1 } } }));
    await expect(client.connect()).rejects.toMatchObject({ code: 'INVALID_OPTIONS', message: expect.stringContaining('no JSON Schema for this') });
    await client.close();
    server.close();
  });
});
