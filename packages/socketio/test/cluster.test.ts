import { type AgentClient, AgentSocketError, ErrorCode, LocalErrorWireCode, ProtocolError, type TeamMessage } from '@agentsocket/core';
import { RedisConnection, RedisSessionStore } from '@agentsocket/redis';
import { until } from '@agentsocket/compliance';
import type { Server } from 'socket.io';
import { describe, expect, it } from 'vitest';
import { HUB_EVENT } from '../src/hub-protocol.js';
import { type AdapterKind, clusterFixture, eventually, REDIS_URL, redisReachable } from './cluster.js';

const reachable = await redisReachable();

function inbox(client: AgentClient): TeamMessage[] {
  const got: TeamMessage[] = [];
  client.on('message', (m) => got.push(m));
  return got;
}

/** What Socket.IO itself says is in a room, seen from node `i`: agent ids from socket.data. */
async function socketIoMembers(io: Server, ns: string, room: string): Promise<string[]> {
  const sockets = await io.of(ns).in(room).fetchSockets();
  return sockets.map((s) => {
    const data: unknown = s.data;
    const asp = typeof data === 'object' && data !== null && 'asp' in data ? data.asp : undefined;
    return typeof asp === 'object' && asp !== null && 'agentId' in asp && typeof asp.agentId === 'string' ? asp.agentId : '?';
  });
}

const adapters: AdapterKind[] = ['sharded', 'streams'];

describe.skipIf(!reachable).each(adapters)('Socket.IO cluster: 3 nodes on the %s Redis adapter', (adapter) => {
  const start = clusterFixture();

  it('broadcasts to a room whose members are spread over the nodes, reliable and at-most-once', async () => {
    const c = await start({ adapter });
    const boss = await c.client(0, '/ops', { name: 'boss' });
    const workers = await Promise.all([0, 1, 2, 2].map((node, i) => c.client(node, '/ops', { name: `w${i}` })));
    const idle = await c.client(1, '/ops', { name: 'idle' });
    const inboxes = workers.map(inbox);
    const inIdle = inbox(idle);
    for (const w of workers) await w.join('compute-workers');
    expect(await boss.broadcast('work', { batch: 1 }, { room: 'compute-workers' })).toBe(4);
    expect(await boss.broadcast('hint', 'fast', { room: 'compute-workers', delivery: 'at-most-once' })).toBe(4);
    await until(() => inboxes.every((got) => got.length === 2), 'both broadcasts on every node');
    for (const got of inboxes) {
      expect(got.map((m) => [m.event, m.from, m.room, m.delivery])).toEqual([
        ['work', 'boss', 'compute-workers', 'at-least-once'],
        ['hint', 'boss', 'compute-workers', 'at-most-once'],
      ]);
    }
    expect(await workers[3]?.broadcast('to-all', null, { delivery: 'at-most-once' })).toBe(5);
    await until(() => inIdle.length === 1, 'the namespace-wide broadcast');
    expect(inIdle[0]).toMatchObject({ event: 'to-all', from: 'w3' });
  });

  it('sends 1-1 across nodes, both delivery modes, and refuses unknown agents', async () => {
    const c = await start({ adapter });
    const a = await c.client(0, '/alpha', { name: 'orchestrator' });
    const b = await c.client(2, '/alpha', { name: 'worker' });
    const inB = inbox(b);
    await a.send('worker', 'assign-task', { taskId: 't-1' });
    await a.send('worker', 'ping', 1, { delivery: 'at-most-once' });
    await until(() => inB.length === 2, 'the private messages');
    expect(inB.map((m) => [m.event, m.from, m.data])).toEqual([
      ['assign-task', 'orchestrator', { taskId: 't-1' }],
      ['ping', 'orchestrator', 1],
    ]);
    await expect(a.send('nobody', 'x')).rejects.toMatchObject({ code: ErrorCode.AGENT_NOT_FOUND });
  });

  it('invokes a tool on an agent of another node, streaming, with errors and interrupt', async () => {
    const c = await start({ adapter });
    let stopped = 0;
    const worker = await c.client(1, '/alpha', {
      name: 'worker',
      tools: {
        crunch: {
          async *handler(args) {
            const n = Number(args['n']);
            for (let i = 0; i < n; i++) yield i * i;
            return { done: n };
          },
        },
        forever: {
          async *handler(_args, ctx) {
            yield 'tick';
            await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
            stopped++;
          },
        },
      },
    });
    const boss = await c.client(2, '/alpha', { name: 'boss' });
    const call = boss.invokeAgent('worker', 'crunch', { n: 50 });
    const chunks: unknown[] = [];
    for await (const chunk of call) chunks.push(chunk);
    expect(chunks).toEqual(Array.from({ length: 50 }, (_, i) => i * i));
    expect((await call.result).value).toEqual({ done: 50 });
    await expect(boss.invokeAgent('worker', 'missing').result).rejects.toMatchObject({ code: ErrorCode.TOOL_NOT_FOUND });
    await expect(boss.invokeAgent('ghost', 'crunch').result).rejects.toMatchObject({ code: ErrorCode.AGENT_NOT_FOUND });
    const abort = new AbortController();
    const long = boss.invokeAgent('worker', 'forever', {}, { signal: abort.signal });
    expect(await long[Symbol.asyncIterator]().next()).toEqual({ value: 'tick', done: false });
    abort.abort();
    await expect(long.result).rejects.toMatchObject({ code: ErrorCode.INTERRUPTED });
    await until(() => stopped === 1, 'the worker handler to stop');
    expect(worker.connected).toBe(true);
    // The server itself (node 0, where neither agent is) invokes across nodes too.
    const fromServer = await c.node(0).agentServer.invokeAgent('/alpha', 'worker', 'crunch', { n: 3 }).result;
    expect(fromServer.value).toEqual({ done: 3 });
  });

  it("carries a caller's own message id to an agent on another node: an exactly-once retry after a timeout runs once", async () => {
    const c = await start({ adapter });
    let runs = 0;
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    await c.client(1, '/t', {
      name: 'worker',
      tools: {
        book: {
          async handler(_args, ctx) {
            runs++;
            await gate;
            return { booked: ctx.messageId, delivery: ctx.delivery };
          },
        },
      },
    });
    const hq = c.node(0).agentServer;
    const options = { delivery: 'exactly-once' as const, messageId: 'booking-7' };
    const first = hq.invokeAgent('/t', 'worker', 'book', {}, { ...options, timeoutMs: 50 });
    expect(first.messageId).toBe('booking-7');
    await expect(first.result).rejects.toMatchObject({ code: 'TIMEOUT' });
    // Retried from a third node: the callee's dedup keys on the id, whichever node asks.
    const retry = c.node(2).agentServer.invokeAgent('/t', 'worker', 'book', {}, options);
    expect(retry.messageId).toBe('booking-7');
    release();
    const { value } = await retry.result;
    expect(runs).toBe(1); // the side effect happened once: the callee's dedup knew the retry
    expect(value).toEqual({ booked: 'booking-7', delivery: 'exactly-once' });
    // A message id outside core's rule fails at the caller, as on one node: nothing is sent.
    await expect(hq.invokeAgent('/t', 'worker', 'book', {}, { messageId: 'two words' }).result).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    expect(runs).toBe(1);
  });

  it("carries the caller's traceparent to the handler on another node, from the server and from an agent", async () => {
    const c = await start({ adapter, size: 2 });
    await c.client(1, '/t', { name: 'worker', tools: { where: { handler: (_args, ctx) => ({ traceparent: ctx.traceparent ?? null }) } } });
    const caller = await c.client(0, '/t', { name: 'caller' });
    const fromServer = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const fromAgent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00';
    expect((await c.node(0).agentServer.invokeAgent('/t', 'worker', 'where', {}, { traceparent: fromServer }).result).value).toEqual({ traceparent: fromServer });
    expect((await caller.invokeAgent('worker', 'where', {}, { traceparent: fromAgent }).result).value).toEqual({ traceparent: fromAgent });
    expect((await caller.invokeAgent('worker', 'where', {}).result).value).toEqual({ traceparent: null });
  });

  it('gives the metrics of a call to an agent on another node when the caller asks for them', async () => {
    const c = await start({ adapter, size: 2 });
    await c.client(1, '/t', {
      name: 'worker',
      tools: {
        count: {
          async *handler(args) {
            const n = Number(args['n']);
            for (let i = 0; i < n; i++) yield i;
            return n;
          },
        },
      },
    });
    const hq = c.node(0).agentServer;
    const asked = await hq.invokeAgent('/t', 'worker', 'count', { n: 3 }, { metrics: true }).result;
    expect(asked.value).toBe(3);
    expect(asked.metrics.chunks).toBe(3);
    const unasked = await hq.invokeAgent('/t', 'worker', 'count', { n: 3 }).result;
    expect(unasked.metrics).toEqual({ durationMs: 0, chunks: 0 });
  });

  it("carries a local error of the callee's node across: its AgentSocketError code, and core's wire code for an agent caller", async () => {
    const c = await start({ adapter });
    let runs = 0;
    // The worker takes frames of 4 KiB at most: its node cannot send it a bigger INVOKE.
    const echo = (args: Record<string, unknown>) => {
      runs++;
      return args;
    };
    await c.client(1, '/t', { name: 'worker', maxFrameBytes: 4096, tools: { echo: { handler: echo } } });
    const caller = await c.client(2, '/t', { name: 'caller' });
    const big = { blob: 'x'.repeat(10_000) };
    const fromServer = c.node(0).agentServer.invokeAgent('/t', 'worker', 'echo', big).result;
    await expect(fromServer).rejects.toBeInstanceOf(AgentSocketError);
    await expect(fromServer).rejects.toMatchObject({ code: 'FRAME_TOO_LARGE', message: expect.stringMatching(/exceeds the limit of/) });
    // An agent's call through its server: the local error becomes core's wire code for it (413, not 500).
    const fromAgent = caller.invokeAgent('worker', 'echo', big).result;
    await expect(fromAgent).rejects.toBeInstanceOf(ProtocolError);
    await expect(fromAgent).rejects.toMatchObject({ code: LocalErrorWireCode.FRAME_TOO_LARGE });
    expect(LocalErrorWireCode.FRAME_TOO_LARGE).toBe(ErrorCode.FRAME_TOO_LARGE);
    expect(runs).toBe(0);
    // Errors that were wire errors stay so, and a handler's result still crosses.
    expect((await c.node(0).agentServer.invokeAgent('/t', 'worker', 'echo', { n: 1 }).result).value).toEqual({ n: 1 });
    await expect(c.node(0).agentServer.invokeAgent('/t', 'worker', 'missing').result).rejects.toMatchObject({ name: 'ProtocolError', code: ErrorCode.TOOL_NOT_FOUND });
  });

  it("interrupts the handler on another node when the caller's timeoutMs passes", async () => {
    const c = await start({ adapter });
    const reasons: unknown[] = [];
    await c.client(1, '/t', {
      name: 'worker',
      tools: {
        nap: {
          handler: (_args, ctx) =>
            new Promise((resolve) => {
              ctx.signal.addEventListener(
                'abort',
                () => {
                  reasons.push(ctx.signal.reason);
                  resolve('woke');
                },
                { once: true },
              );
            }),
        },
      },
    });
    // Node 2 neither calls nor holds the worker: it sees the hub requests every node gets.
    const seen: Array<Record<string, unknown>> = [];
    c.node(2).io.of('/asp-hub').on(HUB_EVENT, (request: Record<string, unknown>) => seen.push(request));
    const started = Date.now();
    const call = c.node(0).agentServer.invokeAgent('/t', 'worker', 'nap', {}, { timeoutMs: 300 });
    await expect(call.result).rejects.toMatchObject({ name: 'AgentSocketError', code: 'TIMEOUT', message: 'no answer from "nap" within 300 ms' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    await until(() => reasons.length === 1, "the worker's ctx.signal to abort");
    expect(reasons[0]).toBeInstanceOf(ProtocolError);
    expect(reasons[0]).toMatchObject({ code: ErrorCode.INTERRUPTED, message: "the caller's timeoutMs (300 ms) passed" });
    // The caller's node sent the interrupt itself (the callee's node also interrupts at the deadline).
    await until(() => seen.some((r) => r['type'] === 'interrupt'), 'the interrupt request');
    const invoke = seen.find((r) => r['type'] === 'invoke');
    expect(seen.filter((r) => r['type'] === 'interrupt')).toEqual([
      { type: 'interrupt', from: c.node(0).hub.nodeId, call: invoke?.['call'], reason: "the caller's timeoutMs (300 ms) passed" },
    ]);
  });

  it('fails a call whose callee node leaves the cluster mid-stream (503), instead of waiting forever', async () => {
    const c = await start({ adapter, hub: { liveCheckMs: 50 } });
    await c.client(1, '/alpha', {
      name: 'worker',
      tools: {
        forever: {
          async *handler(_args, ctx) {
            yield 'tick';
            await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
          },
        },
      },
    });
    const boss = await c.client(2, '/alpha', { name: 'boss' });
    const call = boss.invokeAgent('worker', 'forever');
    expect(await call[Symbol.asyncIterator]().next()).toEqual({ value: 'tick', done: false });
    await c.node(1).io.close(); // node 1 goes: its sockets drop and its adapters leave Redis
    await expect(call.result).rejects.toMatchObject({ code: ErrorCode.UNAVAILABLE });
  });

  it("agrees with Socket.IO: io.of(ns).in(room).fetchSockets() lists the room's members on every node", async () => {
    const c = await start({ adapter });
    const agents = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((name, i) => c.client(i % 3, '/team-alpha', { name })));
    for (const a of agents.slice(0, 3)) await a.join('coordinators');
    await agents[4]?.join('coordinators');
    const expected = ['a', 'b', 'c', 'e'];
    for (const [i, node] of c.nodes.entries()) {
      expect((await socketIoMembers(node.io, '/team-alpha', 'coordinators')).sort()).toEqual(expected);
      expect((await agents[i]?.members('coordinators'))?.sort()).toEqual(expected);
    }
    expect((await agents[3]?.members())?.sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
    await agents[1]?.leave('coordinators');
    expect((await socketIoMembers(c.node(2).io, '/team-alpha', 'coordinators')).sort()).toEqual(['a', 'c', 'e']);
    expect((await agents[0]?.members('coordinators'))?.sort()).toEqual(['a', 'c', 'e']);
    expect(await agents[2]?.rooms()).toEqual(['coordinators']);
  });

  it('keeps namespaces apart across nodes', async () => {
    const c = await start({ adapter });
    const a1 = await c.client(0, '/team-alpha', { name: 'a1' });
    const a2 = await c.client(1, '/team-alpha', { name: 'a2' });
    const b1 = await c.client(2, '/team-beta', { name: 'b1' });
    const b2 = await c.client(0, '/team-beta', { name: 'a2' }); // the same agent id in another team is another agent
    const [in2, inB1, inB2] = [inbox(a2), inbox(b1), inbox(b2)];
    expect((await a1.members()).sort()).toEqual(['a1', 'a2']);
    expect((await b1.members()).sort()).toEqual(['a2', 'b1']);
    expect(await a1.broadcast('status', { phase: 1 })).toBe(1);
    expect(await a1.broadcast('status', { phase: 2 }, { delivery: 'at-most-once' })).toBe(1);
    await a1.send('a2', 'direct', 'alpha only');
    await until(() => in2.length === 3, 'alpha traffic');
    await expect(a1.send('b1', 'x')).rejects.toMatchObject({ code: ErrorCode.AGENT_NOT_FOUND });
    await expect(b1.invokeAgent('a1', 'anything').result).rejects.toMatchObject({ code: ErrorCode.AGENT_NOT_FOUND });
    // One more beta message proves nothing from alpha was queued before it.
    await b2.send('b1', 'beta', null);
    await until(() => inB1.length === 1, 'beta traffic');
    expect(inB1.map((m) => m.event)).toEqual(['beta']);
    expect(inB2).toEqual([]);
  });

  it('enforces access rules on every node (403) and agent ids across the cluster (409)', async () => {
    const c = await start({
      adapter,
      server: {
        authenticate: (token) => (token ? { id: token, claims: { team: token.split(':')[0] } } : undefined),
        teams: {
          namespaces: [
            {
              match: /^\/team-\w+$/,
              authorize: (p, ns) => ns === `/team-${String(p.claims?.['team'])}`,
              canJoin: (p, room) => room !== 'coordinators' || p.id.endsWith(':lead'),
            },
          ],
        },
      },
    });
    const lead = await c.client(0, '/team-alpha', { token: 'alpha:lead', name: 'lead' });
    const bob = await c.client(1, '/team-alpha', { token: 'alpha:bob', name: 'bob' });
    await lead.join('coordinators');
    await expect(bob.join('coordinators')).rejects.toMatchObject({ code: ErrorCode.FORBIDDEN });
    await expect(bob.join('asp:members')).rejects.toMatchObject({ code: ErrorCode.FORBIDDEN });
    const intruder = c.unconnected(2, '/team-alpha', { token: 'beta:eve', name: 'eve', reconnect: false });
    await expect(intruder.connect()).rejects.toMatchObject({ code: ErrorCode.FORBIDDEN });
    const twin = c.unconnected(2, '/team-alpha', { token: 'alpha:bob2', name: 'bob', reconnect: false });
    await expect(twin.connect()).rejects.toMatchObject({ code: ErrorCode.CONFLICT });
    expect((await lead.members()).sort()).toEqual(['bob', 'lead']);
    // Listing and broadcasting into a room follow its join rule on every node.
    await expect(bob.members('coordinators')).rejects.toMatchObject({ code: ErrorCode.FORBIDDEN });
    await expect(bob.broadcast('leak', 1, { room: 'coordinators' })).rejects.toMatchObject({ code: ErrorCode.FORBIDDEN });
    expect(await lead.members('coordinators')).toEqual(['lead']);
    // A dropped session's agent id stays its principal's, on its own node and on the others.
    const desk = c.unconnected(0, '/team-alpha', { token: 'alpha:carol', name: 'desk', reconnect: false });
    await desk.connect();
    const deskSession = desk.sessionId ?? '';
    await desk.dropConnection();
    await until(() => c.node(0).agentServer.peerOf(deskSession)?.attached === false, 'node 0 to see the drop');
    for (const i of [0, 2]) {
      const thief = c.unconnected(i, '/team-alpha', { token: 'alpha:mallory', name: 'desk', reconnect: false });
      await expect(thief.connect()).rejects.toMatchObject({ code: ErrorCode.CONFLICT });
    }
    expect(c.node(0).agentServer.peerOf(deskSession)?.isClosed).toBe(false);
  });

  it('resumes a session on another node through RedisSessionStore: nothing lost, nothing duplicated', async () => {
    const c = await start({
      adapter,
      sessions: (_nodeId, prefix) => {
        const connection = new RedisConnection({ url: REDIS_URL });
        const store = new RedisSessionStore({ connection, prefix: `${prefix}:`, ttlMs: 30_000 });
        return {
          store,
          close: async () => {
            await store.close();
            await connection.close();
          },
        };
      },
    });
    let target = 0;
    const receiver = await c.movable(() => target, '/r', { name: 'receiver' });
    const sender = await c.client(2, '/r', { name: 'sender' });
    const got = inbox(receiver);
    const sessionId = receiver.sessionId;
    const resumed = new Promise<string | undefined>((resolve) => receiver.on('connect', (i) => i.resumed && resolve(receiver.sessionId)));
    for (let i = 0; i < 100; i++) {
      // While the receiver is between nodes, sends fail visibly (406/503) and the sender tries again.
      for (;;) {
        const error = await sender.send('receiver', 'n', i).then(() => undefined, (e: unknown) => e);
        if (error === undefined) break;
        if (!(error instanceof ProtocolError) || (error.code !== ErrorCode.AGENT_NOT_FOUND && error.code !== ErrorCode.UNAVAILABLE)) throw error;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      if (i === 30) {
        target = 1;
        await c.node(0).io.close(); // node 0 goes: its sockets drop and its adapters leave Redis
      }
    }
    expect(await resumed).toBe(sessionId);
    await until(() => got.length >= 100, '100 messages');
    expect(got.map((m) => m.data)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect((await sender.members()).sort()).toEqual(['receiver', 'sender']);
  });

  it('fails visibly (503) while its node cannot reach Redis: sends, members, invokes and new sessions', async () => {
    const c = await start({ adapter, size: 2 });
    const a = await c.client(0, '/x', { name: 'a' });
    await c.client(1, '/x', { name: 'b' });
    const reconnect = c.node(0).cutRedis();
    await expect(a.send('b', 'hello')).rejects.toMatchObject({ code: ErrorCode.UNAVAILABLE });
    await expect(a.members()).rejects.toMatchObject({ code: ErrorCode.UNAVAILABLE });
    await expect(a.invokeAgent('b', 'anything').result).rejects.toMatchObject({ code: ErrorCode.UNAVAILABLE });
    const late = c.unconnected(0, '/x', { name: 'late', reconnect: false });
    await expect(late.connect()).rejects.toMatchObject({ code: ErrorCode.UNAVAILABLE });
    // Back, so that closing the node unsubscribes cleanly (the adapter leaves those promises unhandled).
    await reconnect();
  });

  it('puts a resumed session back into its Socket.IO rooms', async () => {
    const c = await start({ adapter });
    const watcher = await c.client(0, '/ops', { name: 'watcher' });
    const worker = await c.client(1, '/ops', { name: 'worker' });
    await worker.join('compute-workers');
    const got = inbox(worker);
    const resumed = new Promise<void>((resolve) => worker.on('connect', (info) => info.resumed && resolve()));
    c.node(1).sio.dropConnections();
    await resumed;
    await eventually(async () => (await watcher.members('compute-workers')).includes('worker'), 'the worker back in its room');
    expect(await watcher.broadcast('again', 2, { room: 'compute-workers', delivery: 'at-most-once' })).toBe(1);
    await until(() => got.some((m) => m.event === 'again'), 'a broadcast after the resume');
  });
});
