import { AgentClient, defineAgent, ErrorCode, type TeamMessage, tool } from '@agentsocket/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusters, until } from './cluster.js';
import { OwnRedis, redisOrSkip } from './redis-env.js';

const run = await redisOrSkip();

function inbox(client: AgentClient): TeamMessage[] {
  const got: TeamMessage[] = [];
  client.on('message', (m) => got.push(m));
  return got;
}

const agent = () =>
  defineAgent({
    name: 'ops',
    tools: {
      count: tool({
        input: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] },
        async *handler(args) {
          const n = Number(args['n']);
          for (let i = 0; i < n; i++) yield i;
          return { total: n };
        },
      }),
    },
  });

describe.runIf(run)('a Redis restart under a running cluster', () => {
  let redis: OwnRedis;
  beforeAll(async () => {
    redis = await OwnRedis.start();
  });
  afterAll(async () => {
    await redis.stop();
  });
  const start = clusters();

  it('fails or holds what it cannot do while Redis is down, and recovers without restarting nodes', async () => {
    const c = await start({ agent, url: redis.url, redis: { heartbeatMs: 100, nodeTtlMs: 2000, offlineWaitMs: 200 } });
    const sender = await c.client(0, { name: 'sender', namespace: '/o' });
    const receiver = await c.client(1, { name: 'receiver', namespace: '/o' });
    await c.client(2, {
      name: 'worker',
      namespace: '/o',
      tools: { square: { handler: (args) => Number(args['x']) ** 2 } },
    });
    const got = inbox(receiver);
    await receiver.join('room1');
    for (let i = 0; i < 10; i++) await sender.send('receiver', 'n', i);
    expect((await sender.invokeAgent('worker', 'square', { x: 3 }).result).value).toBe(9);
    const [a] = c.nodes;
    if (!a) throw new Error('three nodes');

    await redis.stop();
    await until(() => c.nodes.every((n) => !n.redis.connection.isReady), 'every node to notice');

    // Fails at once: hub calls made by the server itself.
    await expect(a.server.send('/o', { to: 'receiver' }, 'n', 'lost')).rejects.toMatchObject({ code: ErrorCode.UNAVAILABLE });
    await expect(a.server.invokeAgent('/o', 'worker', 'square', { x: 2 }).result).rejects.toMatchObject({ code: ErrorCode.UNAVAILABLE });
    // Fails at once: a new connection (its session cannot be stored).
    const late = new AgentClient({ connect: c.via(0), name: 'late', namespace: '/o', reconnect: false });
    await expect(late.connect()).rejects.toMatchObject({ code: ErrorCode.UNAVAILABLE });
    // Held: an agent's own calls. Their answer waits for the session journal, so it comes when
    // Redis is back: a 503 for the send and the routed call (never silently dropped), and the
    // complete result of a stream that ran during the outage.
    const heldSend = sender.send('receiver', 'n', 'during-outage').then(
      () => 'sent',
      (e: unknown) => e,
    );
    const heldInvoke = sender.invokeAgent('worker', 'square', { x: 4 }).result.then(
      () => 'answered',
      (e: unknown) => e,
    );
    // Exactly-once waits too: its claim cannot be made until Redis is back (503 if it never is).
    const once = sender.invoke('count', { n: 3 }, { delivery: 'exactly-once' });
    const stream = sender.invoke('count', { n: 500 });
    const chunks: unknown[] = [];
    const streamed = (async () => {
      for await (const chunk of stream) chunks.push(chunk);
      return (await stream.result).value;
    })();
    await until(() => chunks.length === 500, 'the stream to run while Redis is down');
    expect(stream.isSettled).toBe(false);

    await redis.start();
    await Promise.all(c.nodes.map((n) => n.redis.ready()));

    expect(await heldSend).toMatchObject({ code: ErrorCode.UNAVAILABLE });
    expect(await heldInvoke).toMatchObject({ code: ErrorCode.UNAVAILABLE });
    expect(await streamed).toEqual({ total: 500 });
    expect((await once.result).value).toEqual({ total: 3 });
    expect(chunks).toEqual(Array.from({ length: 500 }, (_, i) => i));

    // Redis came back empty: nodes registered their members and rooms again.
    expect((await sender.members()).sort()).toEqual(['receiver', 'sender', 'worker']);
    expect(await sender.broadcast('room-call', null, { room: 'room1' })).toBe(1);
    for (let i = 10; i < 20; i++) await sender.send('receiver', 'n', i);
    expect((await sender.invokeAgent('worker', 'square', { x: 5 }).result).value).toBe(25);
    await until(() => got.length === 21, 'the messages sent after the restart');
    // Everything whose send was acknowledged arrived, once, in order; nothing else did.
    expect(got.filter((m) => m.event === 'n').map((m) => m.data)).toEqual(Array.from({ length: 20 }, (_, i) => i));

    // Sessions were written again too: the receiver's node dies and it resumes on another one.
    const resumed = new Promise<boolean>((resolve) => receiver.on('connect', (i) => resolve(i.resumed)));
    await c.nodes[1]?.kill();
    expect(await resumed).toBe(true);
    await sender.send('receiver', 'n', 20);
    await until(() => got.length === 22, 'a message after failover');
    expect(await receiver.rooms()).toEqual(['room1']);
  });
});
