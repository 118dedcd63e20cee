import { type AgentClient, type Call, ErrorCode } from '@agentsocket/core';
import { describe, expect, it } from 'vitest';
import { startCluster } from '../src/cluster.js';
import { waitFor } from '../src/wait.js';
import { REDIS_URL, cleanup, clusterSkip, inbox, nodeOf, range, workerTools } from './fixture.js';

const skip = await clusterSkip();

/** Reads a call to the end, calling `each` after every chunk; resolves with every chunk seen. */
async function drain(call: Call, each: (seen: number) => void = () => {}): Promise<unknown[]> {
  const seen: unknown[] = [];
  for await (const chunk of call) {
    seen.push(chunk);
    each(seen.length);
  }
  return seen;
}

/** Every connect (first and resumed) a client makes from now on. */
function connects(client: AgentClient): Array<{ resumed: boolean; sessionId: string }> {
  const got: Array<{ resumed: boolean; sessionId: string }> = [];
  client.on('connect', (info) => got.push(info));
  return got;
}

describe.skipIf(skip)('failover: a node dies under streaming agents', { timeout: 120_000 }, () => {
  const t = cleanup();

  for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
    it(`${signal}: agents reconnect through nginx to another node and resume; nothing lost, nothing duplicated`, async () => {
      const cluster = t.cluster(await startCluster({ redisUrl: REDIS_URL }));
      const team = { namespace: '/team-alpha' };
      const runs = { crunch: 0, active: 0, interrupted: 0 };
      const worker = await t.client({ ...team, name: 'worker', connect: await cluster.connector({ node: 'node-2' }), tools: workerTools(runs) });
      const caller = await t.client({ ...team, name: 'caller', connect: await cluster.connector({ node: 'node-1' }) });
      expect([await nodeOf(caller), await nodeOf(worker)]).toEqual(['node-1', 'node-2']);
      const sessionId = caller.sessionId;
      const reconnects = connects(caller);
      let attempts = 0;
      caller.on('reconnecting', () => attempts++);
      const workerInbox = inbox(worker);
      const callerInbox = inbox(caller);

      // Two streams through node-1: one from node-1's own agent, one from the worker on node-2.
      const n = 400;
      const fromNode = caller.invoke('count', { n, delayMs: 4 });
      const fromAgent = caller.invokeAgent('worker', 'crunch', { n, delayMs: 4 });
      let a = 0;
      let b = 0;
      let killed: Promise<void> | undefined;
      const killWhenBothFlow = () => {
        if (!killed && a >= 50 && b >= 50) killed = cluster.supervisor.kill('node-1', signal);
      };
      const [seenNode, seenAgent] = await Promise.all([
        drain(fromNode, (k) => {
          a = k;
          killWhenBothFlow();
        }),
        drain(fromAgent, (k) => {
          b = k;
          killWhenBothFlow();
        }),
      ]);
      await killed;
      expect(killed, 'node-1 was stopped mid-stream').toBeDefined();

      expect(seenNode).toEqual(range(n));
      expect(seenAgent).toEqual(range(n, (i) => i * i));
      const result = (await fromNode.result).value;
      expect(result).toMatchObject({ total: n });
      // The stream was finished by the node that resumed the session, from Redis.
      expect(['node-2', 'node-3']).toContain(typeof result === 'object' && result !== null && 'node' in result ? result.node : '');
      expect((await fromAgent.result).value).toEqual({ done: n });
      // nginx passed the first reconnect attempt on to a live node: the client never saw node-1 refuse.
      expect(attempts).toBe(1);
      // Killed or drained, the session and its replay state come from Redis: the client resumes it.
      expect(reconnects).toEqual([{ resumed: true, sessionId }]);
      expect(caller.sessionId).toBe(sessionId);
      expect(['node-2', 'node-3']).toContain(await nodeOf(caller));
      // The routed call was still running when node-1 went, so it ran again from the new node and
      // the caller skipped the chunks it had; the first run was interrupted when node-1 stopped listening.
      expect(runs.crunch).toBe(2);
      await waitFor(() => runs.interrupted === 1 && runs.active === 0, 'the first run to be interrupted');

      // The team still works both ways for the resumed agent.
      await worker.send('caller', 'after-failover', { ok: true });
      await caller.send('worker', 'ack', { ok: true });
      await waitFor(() => callerInbox.length === 1 && workerInbox.length === 1, 'messages after the failover');
      expect(callerInbox[0]).toMatchObject({ event: 'after-failover', from: 'worker' });
      expect(workerInbox[0]).toMatchObject({ event: 'ack', from: 'caller' });

      // The dead node comes back on its old port and takes new agents again.
      await cluster.supervisor.restart('node-1');
      await cluster.routed('node-1');
      const late = await t.client({ ...team, name: 'late', connect: await cluster.connector({ node: 'node-1' }) });
      expect(await nodeOf(late)).toBe('node-1');
      expect((await late.members()).sort()).toEqual(['caller', 'late', 'worker']);
    });
  }

  it('SIGKILL of the node serving an agent-to-agent stream: the call fails visibly (503), the agent resumes elsewhere and a retry gets everything', async () => {
    const cluster = t.cluster(await startCluster({ redisUrl: REDIS_URL, nodeArgs: ['--hub-heartbeat-ms', '500'] }));
    const team = { namespace: '/team-alpha' };
    const runs = { crunch: 0, active: 0, interrupted: 0 };
    const worker = await t.client({ ...team, name: 'worker', connect: await cluster.connector({ node: 'node-2' }), tools: workerTools(runs) });
    const caller = await t.client({ ...team, name: 'caller', connect: await cluster.connector({ node: 'node-1' }) });
    expect([await nodeOf(caller), await nodeOf(worker)]).toEqual(['node-1', 'node-2']);
    const workerSession = worker.sessionId;
    const workerConnects = connects(worker);

    const n = 400;
    const first = caller.invokeAgent('worker', 'crunch', { n, delayMs: 4 });
    let killed: Promise<void> | undefined;
    const seen: unknown[] = [];
    const failure = await (async () => {
      try {
        for await (const chunk of first) {
          seen.push(chunk);
          if (seen.length === 50) killed = cluster.supervisor.kill('node-2');
        }
        return undefined;
      } catch (error) {
        return error;
      }
    })();
    await killed;
    // Not a silent truncation and not a hang: the caller's node saw node-2 stop and failed the call.
    expect(failure).toMatchObject({ code: ErrorCode.UNAVAILABLE });
    await expect(first.result).rejects.toMatchObject({ code: ErrorCode.UNAVAILABLE });
    expect(seen.length).toBeGreaterThanOrEqual(50);
    expect(seen.length).toBeLessThan(n);
    expect(seen).toEqual(range(seen.length, (i) => i * i));

    // The worker resumed its own session on a live node, from Redis.
    await waitFor(() => workerConnects.length > 0, 'the worker to resume');
    expect(workerConnects).toEqual([{ resumed: true, sessionId: workerSession }]);
    expect(['node-1', 'node-3']).toContain(await nodeOf(worker));
    // The first run's INTERRUPT died with node-2, so the worker runs it to the end. Until it does,
    // its request id would collide with the restored session's first server-side id (core reuses
    // 32768 after a restore from the store: see docs/cluster.md, "Known gaps").
    await waitFor(() => runs.active === 0, "the worker's orphaned first run to end");
    const again = caller.invokeAgent('worker', 'crunch', { n });
    const all: unknown[] = [];
    for await (const chunk of again) all.push(chunk);
    expect(all).toEqual(range(n, (i) => i * i));
    expect((await again.result).value).toEqual({ done: n });
  });
});
