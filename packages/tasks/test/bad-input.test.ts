import { WireShapeError } from '@agentsocket/core/internal';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisStreamsQueue } from '../src/index.js';
import { REDIS_URL, redisOrSkip, until } from './env.js';
import { redisFixture, type Space } from './fixture.js';
import { System } from './harness.js';

const run = await redisOrSkip();

describe.runIf(run)('bad input', () => {
  let space: Space;
  let sys: System;
  let raw: Redis;
  afterEach(async () => {
    await sys?.close();
    await space?.dispose();
    raw?.disconnect();
  });
  const open = async () => {
    space = await redisFixture.open({ leaseMs: 5000 });
    sys = new System(space);
    raw = new Redis(REDIS_URL);
    return sys;
  };

  it('a foreign entry on a queue stream is dropped (acked), not redelivered forever, and work goes on', async () => {
    const s = await open();
    const q = s.queue;
    if (!(q instanceof RedisStreamsQueue)) throw new Error('a Redis queue');
    const key = q.streamKey('echo', 'normal');
    await s.worker();
    await raw.xadd(key, '*', 'e', 'not json');
    await raw.xadd(key, '*', 'e', JSON.stringify({ id: 'x', tool: 'echo', priority: 'urgent' }));
    await raw.xadd(key, '*', 'other', 'field');
    const { id } = await s.client.submit({ tool: 'echo', args: { text: 'after' } });
    expect(await s.client.result(id)).toEqual({ echoed: 'after' });
    await until(async () => {
      const pending = await raw.xpending(key, 'workers');
      return Array.isArray(pending) && pending[0] === 0;
    }, 'nothing left pending');
  });

  it('a task record or event that this package did not write is a clear error, not a wrong answer', async () => {
    const s = await open();
    await raw.hset(s.store.key.record('forged'), 'state', 'exploded', 'priority', 'normal');
    await expect(s.client.get('forged')).rejects.toBeInstanceOf(WireShapeError);
    await expect(s.client.get('forged')).rejects.toThrow(/unknown state exploded/);
    await raw.hset(s.store.key.record('forged2'), 'state', 'queued', 'priority', 'normal');
    await raw.xadd(s.store.key.events('forged2'), '*', 'e', JSON.stringify({ type: 'teleported', at: 1 }));
    const events = s.client.watch('forged2');
    await expect(events.next()).rejects.toThrow(/unknown task event type teleported/);
  });

  it('unknown ids, and arguments that are not JSON, are refused clearly', async () => {
    const s = await open();
    await s.register();
    await expect(s.client.result('01NOSUCHTASK')).rejects.toMatchObject({ reason: 'NOT_FOUND', code: 406 });
    expect(await s.client.get('01NOSUCHTASK')).toBeUndefined();
    expect(await s.client.cancel('01NOSUCHTASK')).toBe(false);
    const circular: Record<string, unknown> = { text: 'x' };
    circular['self'] = circular;
    await expect(s.client.submit({ tool: 'echo', args: circular })).rejects.toMatchObject({ reason: 'INVALID_TASK' });
    await expect(s.client.submit({ tool: 'echo', args: { text: 1n } })).rejects.toMatchObject({ reason: 'INVALID_TASK' });
    await expect(s.client.submit({ tool: 'echo', args: { text: 'x' }, idempotencyKey: '' })).rejects.toMatchObject({ reason: 'INVALID_TASK' });
  });
});
