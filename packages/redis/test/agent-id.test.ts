import { AgentClient, defineAgent, ErrorCode, type TeamMessage, tool } from '@agentsocket/core';
import { holdable } from '@agentsocket/compliance';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { clusters, until } from './cluster.js';
import { REDIS_URL, redisOrSkip } from './redis-env.js';

const run = await redisOrSkip();

const agent = () => defineAgent({ name: 'hub', tools: { ping: tool({ handler: () => 'pong' }) } });
const authenticate = (token: string | undefined) => (token ? { id: token } : undefined);

describe.runIf(run)('agent ids bound to their principal across nodes on Redis', () => {
  const start = clusters();

  it('keeps an agent id from another principal after its node dies, until the owner resumes elsewhere', async () => {
    const c = await start({ agent, nodes: 3, server: { authenticate }, redis: { nodeTtlMs: 600 } });
    const connect = holdable(c.via(0));
    const owner = await c.client(0, { connect, token: 'alice', name: 'worker', namespace: '/bound' });
    const inOwner: TeamMessage[] = [];
    owner.on('message', (m) => inOwner.push(m));
    const boss = await c.client(1, { token: 'boss', name: 'boss', namespace: '/bound' });
    connect.hold();
    await c.nodes[0]?.kill();
    // The dead node's entry is skipped at once and reaped by a live node's heartbeat.
    const redis = new Redis(REDIS_URL);
    try {
      await until(async () => (await redis.hexists(`${c.prefix}h:m:/bound`, 'worker')) === 0, 'the dead entry to be reaped');
      const thief = new AgentClient({ connect: c.via(2), token: 'mallory', name: 'worker', namespace: '/bound', reconnect: false });
      await expect(thief.connect()).rejects.toMatchObject({ code: ErrorCode.CONFLICT });
      expect(await redis.get(`${c.prefix}h:o:/bound:worker`)).toBe('alice');
    } finally {
      redis.disconnect();
    }
    const resumed = new Promise<boolean>((resolve) => owner.on('connect', (info) => resolve(info.resumed)));
    connect.release();
    expect(await resumed).toBe(true);
    await boss.send('worker', 'private', 'for the owner');
    await until(() => inOwner.length === 1, 'the 1-1 message');
    expect(inOwner[0]).toMatchObject({ event: 'private', from: 'boss' });
  });

  it('frees the agent id once the hold time has passed, and at once when the owner ends its session', async () => {
    const c = await start({ agent, nodes: 2, server: { authenticate, sessionTtlMs: 800 }, redis: { nodeTtlMs: 600, sessionTtlMs: 800 } });
    await c.client(0, { token: 'alice', name: 'gone', namespace: '/bound', reconnect: false });
    await c.nodes[0]?.kill();
    const attempt = () => new AgentClient({ connect: c.via(1), token: 'mallory', name: 'gone', namespace: '/bound', reconnect: false });
    await expect(attempt().connect()).rejects.toMatchObject({ code: ErrorCode.CONFLICT });
    let taken: AgentClient | undefined;
    await until(async () => {
      const client = attempt();
      taken = await client.connect().then(
        () => client,
        () => undefined,
      );
      return taken !== undefined;
    }, 'the hold to pass');
    expect(taken?.team).toEqual({ namespace: '/bound', agentId: 'gone' });
    await taken?.close();
    // A session that ends normally unbinds its agent id: another principal may take it straight away.
    const next = await c.client(1, { token: 'bob', name: 'gone', namespace: '/bound' });
    expect(next.team?.agentId).toBe('gone');
  });
});
