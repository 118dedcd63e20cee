import { AgentClient, ErrorCode } from '@agentsocket/core';
import { afterEach, describe, expect, it } from 'vitest';
import { startCluster } from '../src/cluster.js';
import { type RunningRedis, startRedisServer } from '../src/redis-server.js';
import { waitFor } from '../src/wait.js';
import { cleanup, clusterSkip, inbox, nodeOf, range, workerTools } from './fixture.js';

const skip = await clusterSkip();

/** How a promise settled, without awaiting it: for asserting "still held". */
function track<T>(promise: Promise<T>): { settled: boolean; outcome: Promise<T | unknown> } {
  const t = { settled: false, outcome: Promise.resolve<T | unknown>(undefined) };
  t.outcome = promise.then(
    (v) => {
      t.settled = true;
      return v;
    },
    (e: unknown) => {
      t.settled = true;
      return e;
    },
  );
  return t;
}

function codeOf(e: unknown): unknown {
  return typeof e === 'object' && e !== null && 'code' in e ? e.code : undefined;
}

describe.skipIf(skip)('Redis restarts under a running cluster', { timeout: 120_000 }, () => {
  // Registered first so it runs last (hooks run as a stack): the nodes stop before their Redis.
  let redis: RunningRedis | undefined;
  afterEach(async () => {
    await redis?.remove();
  });
  const t = cleanup();

  it('holds or fails visibly while Redis is down, recovers without restarting a node, loses nothing acknowledged', async () => {
    // A private redis-server (--save '' --appendonly no): stopping it must not touch the shared one.
    redis = await startRedisServer();
    const own = redis;
    const cluster = t.cluster(await startCluster({ redisUrl: own.url }));
    const team = { namespace: '/team-alpha' };
    const sender = await t.client({ ...team, name: 'sender', connect: await cluster.connector({ node: 'node-1' }) });
    const receiver = await t.client({ ...team, name: 'receiver', connect: await cluster.connector({ node: 'node-2' }) });
    const worker = await t.client({ ...team, name: 'worker', connect: await cluster.connector({ node: 'node-3' }), tools: workerTools() });
    expect([await nodeOf(sender), await nodeOf(receiver), await nodeOf(worker)]).toEqual(['node-1', 'node-2', 'node-3']);
    const got = inbox(receiver);
    await receiver.join('reviewers');
    for (let i = 0; i < 10; i++) await sender.send('receiver', 'n', i);
    expect((await sender.invokeAgent('worker', 'crunch', { n: 3 }).result).value).toEqual({ done: 3 });
    const pids = cluster.supervisor.nodes.map((n) => n.pid);

    await own.stop('SIGKILL');
    // Fails at once, visibly: a new agent cannot get a session while Redis is away (nowhere to store it).
    const tryConnect = async () => {
      const late = new AgentClient({ connect: await cluster.connector(), name: 'late', namespace: '/team-alpha', reconnect: false });
      return late.connect().then(
        async () => {
          await late.close();
          return 'connected';
        },
        (e: unknown) => e,
      );
    };
    await waitFor(async () => codeOf(await tryConnect()) === ErrorCode.UNAVAILABLE, 'new sessions to be refused with 503');

    // Held: an agent's own calls wait for their session journal, so their answers come when Redis is back.
    const heldSends = range(5).map((i) => track(sender.send('receiver', 'n', `during-outage-${i}`)));
    const heldInvoke = track(sender.invokeAgent('worker', 'crunch', { n: 3 }).result);
    const stream = sender.invoke('count', { n: 200 });
    const chunks: unknown[] = [];
    const streamed = track(
      (async () => {
        for await (const chunk of stream) chunks.push(chunk);
        return (await stream.result).value;
      })(),
    );
    await waitFor(() => chunks.length === 200, 'the stream to run while Redis is down');
    // Its COMPLETE waits for the journal: not settled while Redis is down, nor the send nor the invoke.
    expect([stream.isSettled, heldInvoke.settled, ...heldSends.map((h) => h.settled)]).toEqual(range(7).map(() => false));

    await own.start();
    // Each held call is answered once Redis is back: done, or failed visibly (503 while Redis was
    // away, 406 while the target's node had not yet registered it again). Which one depends on timing.
    const outcomes = await Promise.all(heldSends.map((h) => h.outcome));
    const visible = [ErrorCode.UNAVAILABLE, ErrorCode.AGENT_NOT_FOUND];
    for (const o of outcomes) if (o !== undefined) expect(visible).toContain(codeOf(o));
    const invoked = await heldInvoke.outcome;
    if (codeOf(invoked) !== undefined) expect(visible).toContain(codeOf(invoked));
    else expect(invoked).toMatchObject({ value: { done: 3 } });
    // The stream that ran during the outage completes, whole and in order.
    expect(await streamed.outcome).toMatchObject({ total: 200 });
    expect(chunks).toEqual(range(200));

    // Redis came back empty; the nodes registered their members and rooms again, by themselves.
    await waitFor(async () => (await sender.members().catch(() => [])).length === 3, 'members to be registered again');
    expect((await sender.members()).sort()).toEqual(['receiver', 'sender', 'worker']);
    expect(await sender.broadcast('review', null, { room: 'reviewers' })).toBe(1);
    for (let i = 10; i < 20; i++) await sender.send('receiver', 'n', i);
    expect((await sender.invokeAgent('worker', 'crunch', { n: 4 }).result).value).toEqual({ done: 4 });
    // Every acknowledged send arrived once, in order; those that failed never did.
    const acked = outcomes.flatMap((o, i) => (o === undefined ? [`during-outage-${i}`] : []));
    const expected = [...range(10), ...acked, ...range(10, (i) => i + 10)];
    await waitFor(() => got.length === expected.length + 1, 'the messages sent after the restart');
    expect(got.filter((m) => m.event === 'n').map((m) => m.data)).toEqual(expected);
    expect(cluster.supervisor.nodes.map((n) => n.pid)).toEqual(pids);
    expect(await tryConnect()).toBe('connected');

    // Sessions were journaled into the new Redis too: the receiver's node dies and it resumes elsewhere.
    const resumed = new Promise<boolean>((resolve) => receiver.on('connect', (i) => resolve(i.resumed)));
    await cluster.supervisor.kill('node-2');
    expect(await resumed).toBe(true);
    expect(['node-1', 'node-3']).toContain(await nodeOf(receiver));
    await sender.send('receiver', 'n', 20);
    await waitFor(() => got.length === expected.length + 2, 'a message after the failover');
    expect(await receiver.rooms()).toEqual(['reviewers']);
  });
});
