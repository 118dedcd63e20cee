import type { RedisConnection } from '@agentsocket/redis';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentRegistry, RegistryError } from '../src/index.js';
import { agentEvent, connection, EventLog, redisOrSkip, uniquePrefix } from './env.js';

const up = await redisOrSkip();

describe.runIf(up)('AgentRegistry on Redis', () => {
  const open: Array<{ close(o?: { abrupt?: boolean }): Promise<void> }> = [];
  afterEach(async () => {
    for (const c of open.splice(0).reverse()) await c.close().catch(() => {});
  });

  async function setup(prefix = uniquePrefix(), node?: string, heartbeatMs = 200) {
    const conn: RedisConnection = await connection();
    const registry = new AgentRegistry({ connection: conn, prefix, heartbeatMs, flushMs: 20, ...(node ? { node } : {}) });
    open.push(conn, registry);
    return { registry, conn, prefix };
  }

  it('finds agents of a namespace by capability, least loaded first, and only there', async () => {
    const { registry, prefix } = await setup(undefined, 'n1');
    const { registry: other } = await setup(prefix, 'n2');
    await registry.register({ ns: '/team-alpha', agentId: 'a1', tools: ['summarise', 'translate'] });
    await registry.register({ ns: '/team-alpha', agentId: 'a2', tools: ['summarise'] });
    await other.register({ ns: '/team-alpha', agentId: 'a3', tools: ['translate'] });
    await other.register({ ns: '/team-beta', agentId: 'b1', tools: ['summarise'] });
    await registry.update('/team-alpha', 'a1', { load: 0.9 });
    await registry.update('/team-alpha', 'a2', { load: 0.2 });

    const found = await other.find({ ns: '/team-alpha', tool: 'summarise' });
    expect(found.map((a) => a.agentId)).toEqual(['a2', 'a1']);
    expect(found[0]).toMatchObject({ ns: '/team-alpha', node: 'n1', tools: ['summarise'], load: 0.2, reported: true });
    expect(found[0]?.lastSeen).toBeGreaterThanOrEqual(found[0]?.since ?? Number.POSITIVE_INFINITY);
    expect((await registry.find({ ns: '/team-alpha', tools: ['summarise', 'translate'] })).map((a) => a.agentId)).toEqual(['a1']);
    expect((await registry.find({ ns: '/team-alpha', maxLoad: 0.5 })).map((a) => a.agentId)).toEqual(['a3', 'a2']);
    expect((await registry.find({ ns: '/team-alpha', orderBy: 'agentId', limit: 2 })).map((a) => a.agentId)).toEqual(['a1', 'a2']);
    expect((await registry.find({ ns: '/team-gamma' })).length).toBe(0);
    expect(await registry.namespaces()).toEqual(['/team-alpha', '/team-beta']);
    expect((await registry.list()).map((a) => `${a.ns}/${a.agentId}`)).toEqual(['/team-alpha/a1', '/team-alpha/a2', '/team-alpha/a3', '/team-beta/b1']);
    expect(await registry.get('/team-beta', 'b1')).toMatchObject({ node: 'n2', status: 'idle', load: 0, inFlight: 0 });
  });

  it('derives status and load from calls in flight until the agent reports its own', async () => {
    const { registry } = await setup(undefined, 'n1');
    const log = new EventLog();
    await registry.subscribe(log.push);
    await registry.register({ ns: '/team-alpha', agentId: 'w', tools: ['run'] });
    await registry.update('/team-alpha', 'w', { inFlight: 2 });
    const busy = await log.wait((e) => e.type === 'status' && e.agent.status === 'busy');
    expect(busy).toMatchObject({ agent: { inFlight: 2, load: 2, reported: false } });
    expect(await registry.find({ ns: '/team-alpha', status: 'busy' })).toHaveLength(1);
    await registry.update('/team-alpha', 'w', { inFlight: 0 });
    await log.wait((e) => e.type === 'status' && e.agent.status === 'idle');
    await registry.update('/team-alpha', 'w', { status: 'busy', load: 0.5 });
    await registry.update('/team-alpha', 'w', { inFlight: 1 });
    expect(await registry.get('/team-alpha', 'w')).toMatchObject({ status: 'busy', load: 0.5, inFlight: 1, reported: true });
  });

  it('delivers joined, status and left to subscribers of the namespace', async () => {
    const { registry, prefix } = await setup(undefined, 'n1');
    const { registry: observer } = await setup(prefix);
    const alpha = new EventLog();
    const all = new EventLog();
    await observer.subscribe(alpha.push, { ns: '/team-alpha' });
    await observer.subscribe(all.push, { types: ['joined', 'left'] });
    await registry.register({ ns: '/team-alpha', agentId: 'a', tools: ['x'] });
    await registry.register({ ns: '/team-beta', agentId: 'b', tools: ['x'] });
    await registry.update('/team-alpha', 'a', { status: 'busy' });
    expect(await registry.unregister('/team-alpha', 'a')).toBe(true);
    const left = await alpha.wait(agentEvent('left', 'a'));
    expect(left).toMatchObject({ type: 'left', reason: 'closed', agent: { ns: '/team-alpha', agentId: 'a', status: 'busy' } });
    expect(alpha.events.map((e) => e.type)).toEqual(['joined', 'status', 'left']);
    await all.wait(agentEvent('joined', 'b'));
    expect(all.events.every((e) => e.type === 'joined' || e.type === 'left')).toBe(true);
    expect(await observer.get('/team-alpha', 'a')).toBeUndefined();
  });

  it('rejects malformed queries with INVALID_QUERY instead of answering empty', async () => {
    const { registry } = await setup();
    const bad: unknown[] = [
      undefined,
      'team-alpha',
      {},
      { ns: 'team-alpha' },
      { ns: '/team-alpha', tool: '' },
      { ns: '/team-alpha', tool: 42 },
      { ns: '/team-alpha', tools: [] },
      { ns: '/team-alpha', tools: ['ok', 'not ok'] },
      { ns: '/team-alpha', status: 'sleeping' },
      { ns: '/team-alpha', maxLoad: -1 },
      { ns: '/team-alpha', maxLoad: Number.NaN },
      { ns: '/team-alpha', orderBy: 'random' },
      { ns: '/team-alpha', limit: 0 },
      { ns: '/team-alpha', limit: 1.5 },
      { ns: '/team-alpha', capability: 'summarise' },
    ];
    for (const q of bad) {
      const error = await registry.query(q).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, JSON.stringify(q)).toBeInstanceOf(RegistryError);
      expect(error).toMatchObject({ reason: 'INVALID_QUERY', code: 422 });
    }
    await expect(registry.register({ ns: '/x', agentId: 'a', tools: [] })).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
  });

  it('refuses a bad status report and an update for an agent it does not hold', async () => {
    const { registry } = await setup(undefined, 'n1');
    await registry.register({ ns: '/team-alpha', agentId: 'a', tools: [] });
    await expect(registry.update('/team-alpha', 'a', { load: -1 })).rejects.toMatchObject({ reason: 'INVALID_STATUS', code: 422 });
    await expect(registry.update('/team-alpha', 'a', { status: 'asleep' as 'idle' })).rejects.toMatchObject({ reason: 'INVALID_STATUS' });
    await expect(registry.update('/team-alpha', 'nobody', { load: 1 })).rejects.toMatchObject({ reason: 'NOT_FOUND', code: 406 });
  });

  it('a node that stops heartbeating: its agents vanish from queries and are published failed, once', async () => {
    const { registry: dying, prefix } = await setup(undefined, 'doomed', 200);
    const { registry: a } = await setup(prefix, 'survivor-a', 200);
    const { registry: b } = await setup(prefix, undefined, 200);
    const logA = new EventLog();
    const logB = new EventLog();
    await a.subscribe(logA.push);
    await b.subscribe(logB.push);
    await dying.register({ ns: '/team-alpha', agentId: 'd1', tools: ['summarise'] });
    await dying.register({ ns: '/team-beta', agentId: 'd2', tools: [] });
    await a.register({ ns: '/team-alpha', agentId: 'alive', tools: ['summarise'] });
    const killedAt = Date.now();
    await dying.close({ abrupt: true });
    const failed = await logB.wait(agentEvent('failed', 'd1'), 5_000, 'failed event');
    const elapsed = Date.now() - killedAt;
    expect(elapsed).toBeLessThan(600 + 200 + 1_000);
    expect(failed).toMatchObject({ agent: { node: 'doomed', ns: '/team-alpha' } });
    await logB.wait(agentEvent('failed', 'd2'), 5_000, 'failed event');
    expect((await a.find({ ns: '/team-alpha', tool: 'summarise' })).map((r) => r.agentId)).toEqual(['alive']);
    expect(await a.namespaces()).toEqual(['/team-alpha']);
    expect((await a.nodes()).map((n) => n.node)).toEqual(['survivor-a']);
    // One sweep wins: every subscriber sees each failure once.
    await logA.wait(agentEvent('failed', 'd2'));
    expect(logA.events.filter((e) => e.type === 'failed')).toHaveLength(2);
    expect(logB.events.filter((e) => e.type === 'failed')).toHaveLength(2);
  });

  it('a session that moved to another node is not removed by the old node', async () => {
    const { registry: n1, prefix } = await setup(undefined, 'n1');
    const { registry: n2 } = await setup(prefix, 'n2');
    await n1.register({ ns: '/team-alpha', agentId: 'm', sessionId: 's1', tools: ['x'] });
    await n2.register({ ns: '/team-alpha', agentId: 'm', sessionId: 's1', tools: ['x'] });
    expect(await n1.unregister('/team-alpha', 'm', 'moved')).toBe(false);
    expect(await n2.get('/team-alpha', 'm')).toMatchObject({ node: 'n2' });
    await n1.close();
    expect(await n2.get('/team-alpha', 'm')).toMatchObject({ node: 'n2' });
  });

  it('a node taken for dead registers its agents again at its next heartbeat', async () => {
    const { registry, conn, prefix } = await setup(undefined, 'paused', 100);
    await registry.register({ ns: '/team-alpha', agentId: 'p', tools: ['x'] });
    const log = new EventLog();
    await registry.subscribe(log.push);
    // What another node's sweep does to a node that missed its beats (a long pause).
    await conn.client.multi().zrem(`${prefix}reg:nodes`, 'paused').hdel(`${prefix}reg:a:/team-alpha`, 'p').del(`${prefix}reg:n:paused`).exec();
    expect(await registry.get('/team-alpha', 'p')).toBeUndefined();
    await log.wait(agentEvent('joined', 'p'));
    expect(await registry.get('/team-alpha', 'p')).toMatchObject({ node: 'paused' });
  });

  it('an observer cannot register, and a closed node withdraws its agents politely', async () => {
    const { registry: node, prefix } = await setup(undefined, 'polite');
    const { registry: observer } = await setup(prefix);
    const log = new EventLog();
    await observer.subscribe(log.push);
    await node.register({ ns: '/team-alpha', agentId: 'q', tools: [] });
    await node.close();
    expect(await log.wait(agentEvent('left', 'q'))).toMatchObject({ reason: 'moved' });
    expect(await observer.nodes()).toEqual([]);
    await expect(observer.update('/team-alpha', 'q', {})).rejects.toMatchObject({ reason: 'NOT_FOUND' });
  });
});
