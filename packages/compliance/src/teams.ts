import { AgentClient, ErrorCode, type TeamMessage } from '@agentsocket/core';
import { describe, expect, it } from 'vitest';
import type { TransportFixture } from './fixture.js';
import { harness } from './harness.js';
import { connectClient, holdable, until } from './util.js';

function inbox(client: AgentClient): TeamMessage[] {
  const got: TeamMessage[] = [];
  client.on('message', (m) => got.push(m));
  return got;
}

export function teamTests(fixture: TransportFixture): void {
  const start = harness(fixture);
  describe('agent teams: namespaces, rooms, 1-1 and agent-to-agent', () => {
    it('keeps namespaces apart: a broadcast reaches its own team only', async () => {
      const s = await start();
      const a1 = await s.client({ name: 'a1', namespace: '/team-alpha' });
      const a2 = await s.client({ name: 'a2', namespace: '/team-alpha' });
      const b1 = await s.client({ name: 'b1', namespace: '/team-beta' });
      const [in2, inB] = [inbox(a2), inbox(b1)];
      expect(a1.team).toEqual({ namespace: '/team-alpha', agentId: 'a1' });
      expect((await a1.members()).sort()).toEqual(['a1', 'a2']);
      expect(await a1.broadcast('status', { phase: 1 })).toBe(1);
      await until(() => in2.length === 1, 'the broadcast');
      expect(in2[0]).toMatchObject({ event: 'status', data: { phase: 1 }, from: 'a1' });
      expect(await b1.members()).toEqual(['b1']);
      expect(inB).toEqual([]);
    });

    it('broadcasts to a room reach its members only; leaving stops them', async () => {
      const s = await start();
      const boss = await s.client({ name: 'boss', namespace: '/ops' });
      const w1 = await s.client({ name: 'w1', namespace: '/ops' });
      const w2 = await s.client({ name: 'w2', namespace: '/ops' });
      const idle = await s.client({ name: 'idle', namespace: '/ops' });
      const [in1, in2, inIdle] = [inbox(w1), inbox(w2), inbox(idle)];
      await w1.join('compute-workers');
      await w2.join('compute-workers');
      expect(await w1.rooms()).toEqual(['compute-workers']);
      expect((await boss.members('compute-workers')).sort()).toEqual(['w1', 'w2']);
      expect(await boss.broadcast('work-available', [1, 2, 3], { room: 'compute-workers' })).toBe(2);
      await until(() => in1.length === 1 && in2.length === 1, 'room broadcast');
      expect(in1[0]).toMatchObject({ room: 'compute-workers', from: 'boss', data: [1, 2, 3] });
      await w2.leave('compute-workers');
      expect(await boss.broadcast('more', null, { room: 'compute-workers' })).toBe(1);
      await until(() => in1.length === 2, 'second broadcast');
      expect(in2.length).toBe(1);
      expect(inIdle).toEqual([]);
    });

    it('sends private 1-1 messages by agent id, and refuses ids outside the namespace', async () => {
      const s = await start();
      const a = await s.client({ name: 'orchestrator', namespace: '/alpha' });
      const b = await s.client({ name: 'worker', namespace: '/alpha' });
      const other = await s.client({ name: 'stranger', namespace: '/beta' });
      const inB = inbox(b);
      await a.send('worker', 'assign-task', { taskId: 't-1' });
      await until(() => inB.length === 1, 'the private message');
      expect(inB[0]).toMatchObject({ event: 'assign-task', data: { taskId: 't-1' }, from: 'orchestrator' });
      expect(inB[0]?.room).toBeUndefined();
      await expect(a.send('stranger', 'x')).rejects.toMatchObject({ code: ErrorCode.AGENT_NOT_FOUND });
      await expect(other.invokeAgent('worker', 'anything').result).rejects.toMatchObject({ code: ErrorCode.AGENT_NOT_FOUND });
    });

    it('invokes a tool on another agent through the server, streaming and interruptible', async () => {
      const s = await start();
      let stopped = 0;
      const worker = await s.client({
        name: 'worker',
        namespace: '/alpha',
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
      const boss = await s.client({ name: 'boss', namespace: '/alpha' });
      const call = boss.invokeAgent('worker', 'crunch', { n: 4 });
      const chunks: unknown[] = [];
      for await (const c of call) chunks.push(c);
      expect(chunks).toEqual([0, 1, 4, 9]);
      expect((await call.result).value).toEqual({ done: 4 });
      await expect(boss.invokeAgent('worker', 'missing').result).rejects.toMatchObject({ code: ErrorCode.TOOL_NOT_FOUND });
      const abort = new AbortController();
      const long = boss.invokeAgent('worker', 'forever', {}, { signal: abort.signal });
      await long[Symbol.asyncIterator]().next();
      abort.abort();
      await expect(long.result).rejects.toMatchObject({ code: ErrorCode.INTERRUPTED });
      await until(() => stopped === 1, 'the worker handler to stop');
      expect(worker.connected).toBe(true);
    });

    it('enforces access rules on namespaces and rooms on the server', async () => {
      const s = await start({
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
      });
      const lead = await s.client({ token: 'alpha:lead', name: 'lead', namespace: '/team-alpha' });
      const member = await s.client({ token: 'alpha:bob', name: 'bob', namespace: '/team-alpha' });
      await lead.join('coordinators');
      await expect(member.join('coordinators')).rejects.toMatchObject({ code: ErrorCode.FORBIDDEN });
      await member.join('compute-workers');
      const intruder = new AgentClient({ connect: s.handle.connector({ token: 'beta:eve', namespace: '/team-alpha' }), token: 'beta:eve', namespace: '/team-alpha', reconnect: false });
      await expect(intruder.connect()).rejects.toMatchObject({ code: ErrorCode.FORBIDDEN });
      const nowhere = new AgentClient({ connect: s.handle.connector({ token: 'alpha:x', namespace: '/elsewhere' }), token: 'alpha:x', namespace: '/elsewhere', reconnect: false });
      await expect(nowhere.connect()).rejects.toMatchObject({ code: ErrorCode.FORBIDDEN });
    });

    it('holds room rules for listing and broadcasting as well as joining (403)', async () => {
      const s = await start({
        authenticate: (token) => (token ? { id: token } : undefined),
        teams: {
          namespaces: [
            { match: '/rules', canJoin: (p, room) => room !== 'secret' || p.id === 'lead' },
            {
              match: '/split',
              canJoin: (p, room) => room !== 'secret' || p.id === 'lead',
              canList: () => true,
              canSend: (p, room) => room !== 'announce' || p.id === 'lead',
            },
          ],
        },
      });
      const lead = await s.client({ token: 'lead', name: 'lead', namespace: '/rules' });
      const bob = await s.client({ token: 'bob', name: 'bob', namespace: '/rules' });
      const inLead = inbox(lead);
      await lead.join('secret');
      await expect(bob.join('secret')).rejects.toMatchObject({ code: ErrorCode.FORBIDDEN });
      await expect(bob.members('secret')).rejects.toMatchObject({ code: ErrorCode.FORBIDDEN });
      await expect(bob.broadcast('leak', 1, { room: 'secret' })).rejects.toMatchObject({ code: ErrorCode.FORBIDDEN });
      // What the rules allow still works, and the whole namespace is not a room.
      expect(await lead.members('secret')).toEqual(['lead']);
      expect((await bob.members()).sort()).toEqual(['bob', 'lead']);
      expect(await bob.broadcast('hello', 2)).toBe(1);
      await until(() => inLead.length === 1, 'the namespace broadcast');
      expect(inLead.map((m) => m.event)).toEqual(['hello']);
      expect(bob.connected).toBe(true);

      // Rules of their own for listing and sending replace the join rule for those.
      const lead2 = await s.client({ token: 'lead', name: 'lead', namespace: '/split' });
      const bob2 = await s.client({ token: 'bob', name: 'bob', namespace: '/split' });
      await lead2.join('secret');
      await bob2.join('announce');
      expect(await bob2.members('secret')).toEqual(['lead']);
      expect(await bob2.broadcast('x', 0, { room: 'secret' })).toBe(1);
      await expect(bob2.broadcast('x', 0, { room: 'announce' })).rejects.toMatchObject({ code: ErrorCode.FORBIDDEN });
      expect(await lead2.broadcast('x', 0, { room: 'announce' })).toBe(1);
    });

    it('binds an agent id to its principal: another principal cannot take it from a dropped session (409)', async () => {
      const s = await start({
        authenticate: (token) => (token ? { id: token } : undefined),
        teams: {
          namespaces: [
            { match: '/bound' },
            { match: '/handover', canClaimAgentId: (p, _agentId, _ns, holder) => p.id === 'admin' && holder === 'alice' },
          ],
        },
      });
      const connect = holdable(s.handle.connector({ token: 'alice', namespace: '/bound' }));
      const owner = await connectClient({ connect, token: 'alice', name: 'worker', namespace: '/bound' });
      try {
        const inOwner = inbox(owner);
        const boss = await s.client({ token: 'boss', name: 'boss', namespace: '/bound' });
        const firstSession = owner.sessionId ?? '';
        connect.hold();
        await owner.dropConnection();
        await until(() => s.handle.server.peerOf(firstSession)?.attached === false, 'the server to see the drop');
        const thief = new AgentClient({ connect: s.handle.connector({ token: 'mallory', namespace: '/bound' }), token: 'mallory', name: 'worker', namespace: '/bound', reconnect: false });
        await expect(thief.connect()).rejects.toMatchObject({ code: ErrorCode.CONFLICT });
        const resumed = new Promise<boolean>((resolve) => owner.on('connect', (info) => resolve(info.resumed)));
        connect.release();
        expect(await resumed).toBe(true);
        expect(owner.sessionId).toBe(firstSession);
        await boss.send('worker', 'private', 'for the owner');
        await until(() => inOwner.length === 1, 'the 1-1 message');
        expect(inOwner[0]).toMatchObject({ event: 'private', from: 'boss' });
      } finally {
        await owner.close();
      }

      // The same principal may replace its own dropped session; a rule may let another principal take it.
      const handoverConnect = holdable(s.handle.connector({ token: 'alice', namespace: '/handover' }));
      const first = await connectClient({ connect: handoverConnect, token: 'alice', name: 'desk', namespace: '/handover', reconnect: false });
      const firstId = first.sessionId ?? '';
      await first.dropConnection();
      await until(() => s.handle.server.peerOf(firstId)?.attached === false, 'the server to see the drop');
      const stranger = new AgentClient({ connect: s.handle.connector({ token: 'mallory', namespace: '/handover' }), token: 'mallory', name: 'desk', namespace: '/handover', reconnect: false });
      await expect(stranger.connect()).rejects.toMatchObject({ code: ErrorCode.CONFLICT });
      const admin = await s.client({ token: 'admin', name: 'desk', namespace: '/handover' });
      expect(admin.team).toEqual({ namespace: '/handover', agentId: 'desk' });
      await first.close();
    });

    it('a client whose agent id was taken while it was away stops reconnecting and fails its calls with 409', async () => {
      const s = await start({ authenticate: (token) => (token ? { id: token } : undefined) });
      const held = holdable(s.handle.connector({ token: 'alice', namespace: '/desk' }));
      let attempts = 0;
      const connect = (signal: AbortSignal) => {
        attempts++;
        return held(signal);
      };
      const owner = await connectClient({ connect, token: 'alice', name: 'desk', namespace: '/desk' });
      try {
        const firstSession = owner.sessionId ?? '';
        held.hold();
        await owner.dropConnection();
        await until(() => s.handle.server.peerOf(firstSession)?.attached === false, 'the server to see the drop');
        const call = owner.invoke('echo', { v: 1 }).result.catch((e: unknown) => e);
        // The same principal, from elsewhere, takes the id: the waiting session ends.
        await s.client({ token: 'alice', name: 'desk', namespace: '/desk' });
        const gaveUp = new Promise<Error>((resolve) => owner.on('error', resolve));
        held.release();
        expect(await gaveUp).toMatchObject({ code: ErrorCode.CONFLICT });
        expect(await call).toMatchObject({ code: ErrorCode.CONFLICT });
        const after = attempts;
        // Proof that the loop ended, not paused: a GOAWAY-free client that gave up has no reconnect pending.
        await expect(owner.invoke('echo', { v: 2 }).result).rejects.toBeInstanceOf(Error);
        expect(attempts).toBe(after);
      } finally {
        await owner.close();
      }
    });

    it('refuses a second live agent with the same id in a namespace (409)', async () => {
      const s = await start();
      await s.client({ name: 'solo', namespace: '/x' });
      const twin = new AgentClient({ connect: s.handle.connector({ namespace: '/x' }), name: 'solo', namespace: '/x', reconnect: false });
      await expect(twin.connect()).rejects.toMatchObject({ code: ErrorCode.CONFLICT });
    });

    it('lets the server coordinate across namespaces without one team hearing another', async () => {
      const s = await start();
      const alpha = await s.client({ name: 'a', namespace: '/team-alpha' });
      const beta = await s.client({ name: 'b', namespace: '/team-beta' });
      const [inA, inB] = [inbox(alpha), inbox(beta)];
      await beta.join('reviewers');
      // The orchestrator (server side) relays alpha's phase change to beta's reviewers.
      expect(await s.handle.server.send('/team-beta', { room: 'reviewers' }, 'phase-complete', { phase: 1 })).toBe(1);
      await until(() => inB.length === 1, 'the relayed message');
      expect(inB[0]).toMatchObject({ event: 'phase-complete', room: 'reviewers', from: 'compliance' });
      expect(inA).toEqual([]);
      const answer = await s.handle.server.invokeAgent('/team-beta', 'b', 'nope').result.catch((e: unknown) => e);
      expect(answer).toMatchObject({ code: ErrorCode.TOOL_NOT_FOUND });
    });

    it('delivers team messages across a dropped connection with nothing lost', async () => {
      const s = await start();
      const sender = await s.client({ name: 'sender', namespace: '/r' });
      const receiver = await s.client({ name: 'receiver', namespace: '/r' });
      const got = inbox(receiver);
      const resumed = new Promise<void>((resolve) => receiver.on('connect', (i) => i.resumed && resolve()));
      for (let i = 0; i < 100; i++) {
        await sender.send('receiver', 'n', i);
        if (i === 30) await s.handle.dropConnections();
      }
      await resumed;
      await until(() => got.length === 100, '100 messages');
      expect(got.map((m) => m.data)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    });
  });
}
