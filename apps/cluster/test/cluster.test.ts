import { describe, expect, it } from 'vitest';
import { startCluster } from '../src/cluster.js';
import { waitFor } from '../src/wait.js';
import { REDIS_URL, cleanup, clusterSkip, inbox, nodeOf, range, workerTools } from './fixture.js';

const skip = await clusterSkip();

describe.skipIf(skip)('3 node processes behind nginx, sharing teams through Redis', { timeout: 120_000 }, () => {
  const t = cleanup();

  it('spreads agents over the nodes; broadcasts, 1-1 messages and agent-to-agent streams cross nodes', async () => {
    const cluster = t.cluster(await startCluster({ redisUrl: REDIS_URL }));
    const team = { namespace: '/team-alpha' };
    const lead = await t.client({ ...team, name: 'lead', connect: await cluster.connector({ node: 'node-1' }) });
    const w1 = await t.client({ ...team, name: 'w1', connect: await cluster.connector({ node: 'node-2' }), tools: workerTools() });
    const w2 = await t.client({ ...team, name: 'w2', connect: await cluster.connector({ node: 'node-3' }), tools: workerTools() });
    const idle = await t.client({ ...team, name: 'idle', connect: await cluster.connector({ node: 'node-2' }) });
    const outsider = await t.client({ namespace: '/orchestrator', name: 'orch', connect: await cluster.connector({ node: 'node-3' }) });
    expect([await nodeOf(lead), await nodeOf(w1), await nodeOf(w2), await nodeOf(idle)]).toEqual(['node-1', 'node-2', 'node-3', 'node-2']);
    const [in1, in2, inIdle, inLead, inOut] = [inbox(w1), inbox(w2), inbox(idle), inbox(lead), inbox(outsider)];

    // Membership is cluster-wide, per namespace.
    expect((await lead.members()).sort()).toEqual(['idle', 'lead', 'w1', 'w2']);
    expect(await outsider.members()).toEqual(['orch']);

    // A room broadcast from node-1 reaches its members on node-2 and node-3, and nobody else.
    await w1.join('compute-workers');
    await w2.join('compute-workers');
    expect((await idle.members('compute-workers')).sort()).toEqual(['w1', 'w2']);
    expect(await lead.broadcast('work-available', { batch: 7 }, { room: 'compute-workers' })).toBe(2);
    await waitFor(() => in1.length === 1 && in2.length === 1, 'the room broadcast on node-2 and node-3');
    expect(in1[0]).toMatchObject({ event: 'work-available', data: { batch: 7 }, from: 'lead', room: 'compute-workers' });
    expect(in2[0]).toMatchObject({ event: 'work-available', data: { batch: 7 }, from: 'lead', room: 'compute-workers' });

    // 1-1 task assignment from node-1 to the agent on node-3.
    await lead.send('w2', 'assign-task', { taskId: 't-1' });
    await waitFor(() => in2.length === 2, 'the 1-1 task on node-3');
    expect(in2[1]).toMatchObject({ event: 'assign-task', data: { taskId: 't-1' }, from: 'lead' });
    expect(in2[1]?.room).toBeUndefined();

    // A namespace-wide broadcast from node-3 reaches everyone else in the team, on every node.
    expect(await w2.broadcast('status', { phase: 'done' })).toBe(3);
    await waitFor(() => inLead.length === 1 && in1.length === 2 && inIdle.length === 1, 'the team broadcast');
    expect(inLead[0]).toMatchObject({ event: 'status', from: 'w2' });

    // Agent-to-agent: lead (node-1) invokes w1's tool (node-2); the stream comes back in order.
    const call = lead.invokeAgent('w1', 'crunch', { n: 100 });
    const chunks: unknown[] = [];
    for await (const c of call) chunks.push(c);
    expect(chunks).toEqual(range(100, (i) => i * i));
    expect((await call.result).value).toEqual({ done: 100 });

    // Only what was addressed arrived; the other namespace heard nothing.
    expect(in1.map((m) => m.event)).toEqual(['work-available', 'status']);
    expect(in2.map((m) => m.event)).toEqual(['work-available', 'assign-task']);
    expect(inIdle.map((m) => m.event)).toEqual(['status']);
    expect(inOut).toEqual([]);
  });

  it('sticks HTTP requests to one node with the affinity cookie nginx hands out; a dead node moves only its own', async () => {
    const cluster = t.cluster(await startCluster({ redisUrl: REDIS_URL }));
    const first = await fetch(`${cluster.nginx.url}/healthz`);
    const cookie = /asp_affinity=([^;]+)/.exec(first.headers.get('set-cookie') ?? '')?.[1];
    expect(cookie).toMatch(/^[0-9a-f]{32}$/);
    const node = await cluster.nodeFor(cookie);
    for (let i = 0; i < 10; i++) expect(await cluster.nodeFor(cookie)).toBe(node);
    // Without a cookie every request is hashed on a fresh random key, so all nodes get some.
    const seen = new Set<string>();
    await waitFor(async () => seen.add(await cluster.nodeFor()).size === 3, 'cookieless requests to reach every node', 20_000, 0);
    // Consistent hashing: when a node dies only its cookies move, each to one live node; the rest stay.
    const [k1, k2, k3] = [await cluster.affinityFor('node-1'), await cluster.affinityFor('node-2'), await cluster.affinityFor('node-3')];
    await cluster.supervisor.kill('node-3');
    expect([await cluster.nodeFor(k1), await cluster.nodeFor(k2)]).toEqual(['node-1', 'node-2']);
    const moved = await cluster.nodeFor(k3);
    expect(['node-1', 'node-2']).toContain(moved);
    for (let i = 0; i < 5; i++) expect(await cluster.nodeFor(k3)).toBe(moved);
  });
});
