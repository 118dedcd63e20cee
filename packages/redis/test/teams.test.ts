import { AgentClient, defineAgent, ErrorCode, type TeamMessage, tool } from '@agentsocket/core';
import { wsConnector, wsServer } from '@agentsocket/ws';
import { describe, expect, it } from 'vitest';
import { clusters, until } from './cluster.js';
import { plainBytes, redisOrSkip } from './redis-env.js';

const run = await redisOrSkip();

const agent = () => defineAgent({ name: 'hub', tools: { ping: tool({ handler: () => 'pong' }) } });

function inbox(client: AgentClient): TeamMessage[] {
  const got: TeamMessage[] = [];
  client.on('message', (m) => got.push(m));
  return got;
}

/** Tools a worker agent serves to the others: a stream and one that waits to be interrupted. */
function workerTools(state: { stopped: number }) {
  return {
    crunch: {
      async *handler(args: Record<string, unknown>) {
        const n = Number(args['n']);
        for (let i = 0; i < n; i++) yield i * i;
        return { done: n };
      },
    },
    forever: {
      async *handler(_args: Record<string, unknown>, ctx: { signal: AbortSignal }) {
        yield 'tick';
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
        state.stopped++;
      },
    },
    blob: { handler: () => ({ bytes: new Uint8Array([0, 1, 2, 255]) }) },
  };
}

describe.runIf(run)('agent teams across 3 nodes on Redis', () => {
  const start = clusters();

  it('broadcasts to a room whose members are on three nodes; leaving stops them', async () => {
    const c = await start({ agent });
    const boss = await c.client(0, { name: 'boss', namespace: '/ops' });
    const w = await Promise.all([0, 1, 2].map((i) => c.client(i, { name: `w${i}`, namespace: '/ops' })));
    const idle = await c.client(1, { name: 'idle', namespace: '/ops' });
    const inboxes = w.map(inbox);
    const idleInbox = inbox(idle);
    for (const x of w) await x.join('compute-workers');
    expect((await boss.members('compute-workers')).sort()).toEqual(['w0', 'w1', 'w2']);
    expect((await boss.members()).sort()).toEqual(['boss', 'idle', 'w0', 'w1', 'w2']);
    expect(await w[2]?.rooms()).toEqual(['compute-workers']);
    expect(await boss.broadcast('work-available', [1, 2, 3], { room: 'compute-workers' })).toBe(3);
    await until(() => inboxes.every((i) => i.length === 1), 'the room broadcast on every node');
    for (const i of inboxes) expect(i[0]).toMatchObject({ event: 'work-available', room: 'compute-workers', from: 'boss', data: [1, 2, 3] });
    await w[1]?.leave('compute-workers');
    expect(await boss.broadcast('more', null, { room: 'compute-workers' })).toBe(2);
    await until(() => inboxes[0]?.length === 2 && inboxes[2]?.length === 2, 'the second broadcast');
    expect(inboxes[1]?.length).toBe(1);
    // A namespace-wide broadcast reaches everyone but the sender, on every node.
    expect(await w[0]?.broadcast('all-hands')).toBe(4);
    await until(() => idleInbox.length === 1 && inboxes[2]?.length === 3, 'the namespace broadcast');
  });

  it('keeps namespaces apart across nodes', async () => {
    const c = await start({ agent });
    const a1 = await c.client(0, { name: 'a1', namespace: '/team-alpha' });
    const a2 = await c.client(1, { name: 'a2', namespace: '/team-alpha' });
    const b1 = await c.client(2, { name: 'b1', namespace: '/team-beta' });
    const [in2, inB] = [inbox(a2), inbox(b1)];
    expect((await a1.members()).sort()).toEqual(['a1', 'a2']);
    expect(await b1.members()).toEqual(['b1']);
    expect(await a1.broadcast('status', { phase: 1 })).toBe(1);
    await until(() => in2.length === 1, 'the broadcast');
    await expect(a1.send('b1', 'x')).rejects.toMatchObject({ code: ErrorCode.AGENT_NOT_FOUND });
    await expect(b1.invokeAgent('a1', 'anything').result).rejects.toMatchObject({ code: ErrorCode.AGENT_NOT_FOUND });
    expect(inB).toEqual([]);
  });

  it('sends private 1-1 messages across nodes, in order', async () => {
    const c = await start({ agent });
    const orchestrator = await c.client(0, { name: 'orchestrator', namespace: '/alpha' });
    const worker = await c.client(2, { name: 'worker', namespace: '/alpha' });
    const got = inbox(worker);
    for (let i = 0; i < 100; i++) await orchestrator.send('worker', 'assign-task', { taskId: i });
    await until(() => got.length === 100, '100 private messages');
    expect(got.map((m) => m.data)).toEqual(Array.from({ length: 100 }, (_, i) => ({ taskId: i })));
    expect(got[0]).toMatchObject({ from: 'orchestrator' });
    expect(got[0]?.room).toBeUndefined();
    await expect(orchestrator.send('nobody', 'x')).rejects.toMatchObject({ code: ErrorCode.AGENT_NOT_FOUND });
  });

  it('invokes a tool on an agent of another node: streaming, errors, binary results and interrupt', async () => {
    const c = await start({ agent });
    const state = { stopped: 0 };
    const worker = await c.client(2, { name: 'worker', namespace: '/alpha', tools: workerTools(state) });
    const boss = await c.client(0, { name: 'boss', namespace: '/alpha' });
    const call = boss.invokeAgent('worker', 'crunch', { n: 50 });
    const chunks: unknown[] = [];
    for await (const chunk of call) chunks.push(chunk);
    expect(chunks).toEqual(Array.from({ length: 50 }, (_, i) => i * i));
    expect((await call.result).value).toEqual({ done: 50 });
    expect(plainBytes((await boss.invokeAgent('worker', 'blob').result).value)).toEqual({ bytes: new Uint8Array([0, 1, 2, 255]) });
    await expect(boss.invokeAgent('worker', 'missing').result).rejects.toMatchObject({ code: ErrorCode.TOOL_NOT_FOUND });
    await expect(boss.invokeAgent('ghost', 'crunch').result).rejects.toMatchObject({ code: ErrorCode.AGENT_NOT_FOUND });
    const abort = new AbortController();
    const long = boss.invokeAgent('worker', 'forever', {}, { signal: abort.signal });
    expect((await long[Symbol.asyncIterator]().next()).value).toBe('tick');
    abort.abort();
    await expect(long.result).rejects.toMatchObject({ code: ErrorCode.INTERRUPTED });
    await until(() => state.stopped === 1, 'the worker handler to stop');
    expect(worker.connected).toBe(true);
  });

  it('lets a server invoke and message agents held by other nodes', async () => {
    const c = await start({ agent });
    const state = { stopped: 0 };
    await c.client(2, { name: 'worker', namespace: '/beta', tools: workerTools(state) });
    const reviewer = await c.client(0, { name: 'reviewer', namespace: '/beta' });
    const got = inbox(reviewer);
    await reviewer.join('reviewers');
    const server = c.nodes[1]?.server;
    if (!server) throw new Error('no node b');
    expect(await server.send('/beta', { room: 'reviewers' }, 'phase-complete', { phase: 1 })).toBe(1);
    await until(() => got.length === 1, 'the relayed message');
    expect(got[0]).toMatchObject({ event: 'phase-complete', room: 'reviewers', from: 'hub' });
    const call = server.invokeAgent('/beta', 'worker', 'crunch', { n: 3 });
    const chunks: unknown[] = [];
    for await (const chunk of call) chunks.push(chunk);
    expect(chunks).toEqual([0, 1, 4]);
    const local = c.nodes[2]?.server.invokeAgent('/beta', 'worker', 'crunch', { n: 2 });
    expect((await local?.result)?.value).toEqual({ done: 2 });
    await expect(server.invokeAgent('/beta', 'nobody', 'x').result).rejects.toMatchObject({ code: ErrorCode.AGENT_NOT_FOUND });
  });

  it('refuses a second live agent with the same id on another node (409)', async () => {
    const c = await start({ agent });
    await c.client(0, { name: 'solo', namespace: '/x' });
    const twin = new AgentClient({ connect: c.via(1), name: 'solo', namespace: '/x', reconnect: false });
    await expect(twin.connect()).rejects.toMatchObject({ code: ErrorCode.CONFLICT });
  });

  it('does the same over WebSocket, one endpoint per node', async () => {
    const c = await start({ agent });
    const endpoints = await Promise.all(c.nodes.map((n) => wsServer({ agentServer: n.server, port: 0, host: '127.0.0.1' })));
    const clients: AgentClient[] = [];
    const connect = async (i: number, name: string, extra: object = {}) => {
      const url = endpoints[i]?.url;
      if (url === undefined) throw new Error('endpoint not listening');
      const client = new AgentClient({ connect: wsConnector({ url }), name, namespace: '/ws', ...extra });
      clients.push(client);
      await client.connect();
      return client;
    };
    try {
      const state = { stopped: 0 };
      const a = await connect(0, 'a');
      const b = await connect(1, 'b', { tools: workerTools(state) });
      const cc = await connect(2, 'c');
      const [inB, inC] = [inbox(b), inbox(cc)];
      await b.join('r');
      await cc.join('r');
      expect(await a.broadcast('hello', 'room', { room: 'r' })).toBe(2);
      await until(() => inB.length === 1 && inC.length === 1, 'the broadcast over ws');
      const call = cc.invokeAgent('b', 'crunch', { n: 5 });
      const chunks: unknown[] = [];
      for await (const chunk of call) chunks.push(chunk);
      expect(chunks).toEqual([0, 1, 4, 9, 16]);
    } finally {
      for (const client of clients) await client.close();
      for (const e of endpoints) await e.close();
    }
  });
});
