import { describe, expect, it } from 'vitest';
import { AgentClient, AgentServer, defineAgent, memoryConnector, tool } from '../src/index.js';

// docs/protocol.md §17: a TOOL_DEF applies to the session it is sent on.
describe('TOOL_DEF scope', () => {
  function setup() {
    const agent = defineAgent({
      name: 'scope',
      tools: {
        announce: tool({
          handler: (_args, ctx) => {
            ctx.defineTool('mine', { handler: () => 'only here' });
            return 'announced';
          },
        }),
      },
    });
    const server = new AgentServer(agent);
    const memory = memoryConnector(server);
    let gate: Promise<void> = Promise.resolve();
    let open = () => {};
    const connect = async (signal: AbortSignal) => {
      await gate;
      return memory(signal);
    };
    const hold = () => {
      gate = new Promise((resolve) => {
        open = resolve;
      });
    };
    const client = () => new AgentClient({ connect, reconnect: { initialMs: 1, maxMs: 5 } });
    return { agent, server, client, memory, hold, release: () => open() };
  }

  it('a tool a handler announces reaches that session only', async () => {
    const { server, client } = setup();
    const [a, b] = [client(), client()];
    await Promise.all([a.connect(), b.connect()]);
    await a.invoke('announce').result;
    expect(a.tools.map((t) => t.name)).toContain('mine');
    expect((await a.invoke('mine').result).value).toBe('only here');
    expect(b.tools.map((t) => t.name)).not.toContain('mine');
    await expect(b.invoke('mine').result).rejects.toMatchObject({ code: 404 });
    await Promise.all([a.close(), b.close()]);
    server.close();
  });

  it('a session that announced a tool of its own still gets the agent\'s later tools, as one that announced none', async () => {
    const { agent, server, client } = setup();
    const [a, b] = [client(), client()];
    await Promise.all([a.connect(), b.connect()]);
    await a.invoke('announce').result;
    const seen = (c: AgentClient) => new Promise<void>((resolve) => c.on('tools', (t) => t.some((x) => x.name === 'later') && resolve()));
    const both = Promise.all([seen(a), seen(b)]);
    agent.addTool('later', { handler: () => 'for all' });
    await both;
    expect(a.tools.map((t) => t.name)).toEqual(expect.arrayContaining(['announce', 'mine', 'later']));
    expect(b.tools.map((t) => t.name)).not.toContain('mine');
    expect((await a.invoke('later').result).value).toBe('for all');
    expect((await b.invoke('later').result).value).toBe('for all');
    await Promise.all([a.close(), b.close()]);
    server.close();
  });

  it('a tool added to the agent reaches every session, one waiting to be resumed on resume, and later sessions in HELLO', async () => {
    const { agent, server, client, memory, hold, release } = setup();
    const [live, away] = [client(), client()];
    await Promise.all([live.connect(), away.connect()]);
    const awaySession = away.sessionId;
    const resumed = new Promise<boolean>((resolve) => away.on('connect', (i) => resolve(i.resumed)));
    const liveTools = new Promise<void>((resolve) => live.on('tools', (t) => t.some((x) => x.name === 'added') && resolve()));
    hold();
    await away.dropConnection();
    expect(memory.serverEnds.size).toBe(1); // only live's connection is open: away waits at the gate
    agent.addTool('added', { handler: () => 'everyone' });
    await liveTools;
    expect(away.tools.map((t) => t.name)).not.toContain('added');
    release();
    expect(await resumed).toBe(true);
    expect(away.sessionId).toBe(awaySession);
    expect(away.tools.map((t) => t.name)).toContain('added');
    const late = client();
    await late.connect();
    expect(late.tools.map((t) => t.name)).toContain('added');
    expect((await late.invoke('added').result).value).toBe('everyone');
    await Promise.all([live.close(), away.close(), late.close()]);
    server.close();
  });
});
