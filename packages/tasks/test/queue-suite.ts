import { ErrorCode } from '@agentsocket/core';
import { afterEach, describe, expect, it } from 'vitest';
import { type Lease, TaskError } from '../src/index.js';
import type { QueueFixture, Space } from './fixture.js';
import { events, System } from './harness.js';
import { until } from './env.js';

/**
 * The shared queue suite: the TaskQueue rules (src/queue.ts) and the task model on top of them,
 * registered once per backend. A backend declares what it cannot do in its fixture's
 * capabilities, and those tests skip.
 */
export function queueSuite(fixture: QueueFixture): void {
  describe(`${fixture.name}: the TaskQueue rules`, () => {
    let space: Space;
    afterEach(async () => {
      await space?.dispose();
    });
    const entry = (id: string, priority: 'high' | 'normal' | 'low' = 'normal') => ({ id, tool: 'a', priority });
    const collect = () => {
      const got: Lease[] = [];
      return { got, onLease: (l: Lease) => got.push(l) };
    };

    it('rule 2: delivers entries pushed before and after a consumer starts', async () => {
      space = await fixture.open({ leaseMs: 5000 });
      const q = space.queue();
      await q.push(entry('before'));
      const c = collect();
      await q.consume(['a'], c.onLease, { prefetch: 10, name: 'c1' });
      await q.push(entry('after'));
      await until(() => c.got.length === 2, 'both entries');
      expect(c.got.map((l) => l.entry.id).sort()).toEqual(['after', 'before']);
      for (const l of c.got) expect(await q.ack(l)).toBe(true);
    });

    it('rule 3: holds at most prefetch unacked leases; an ack lets the next one in', async () => {
      space = await fixture.open({ leaseMs: 5000 });
      const q = space.queue();
      for (let i = 0; i < 5; i++) await q.push(entry(`e${i}`));
      const c = collect();
      await q.consume(['a'], c.onLease, { prefetch: 2, name: 'c1' });
      await until(() => c.got.length === 2, 'two leases');
      // Another push and a pause for the broker: still two.
      await q.push(entry('e5'));
      await new Promise((r) => setImmediate(r));
      expect(c.got.length).toBe(2);
      const [first] = c.got;
      if (!first) throw new Error('a lease');
      await q.ack(first);
      await until(() => c.got.length === 3, 'a third lease after the ack');
    });

    it('rule 4: the leases of a consumer that goes away are delivered to another', async () => {
      space = await fixture.open({ leaseMs: 600 });
      const producer = space.queue();
      const dying = space.queue();
      await producer.push(entry('x'));
      const a = collect();
      await dying.consume(['a'], a.onLease, { prefetch: 1, name: 'dying' });
      await until(() => a.got.length === 1, 'the first delivery');
      await space.crash(dying);
      const b = collect();
      const survivor = space.queue();
      await survivor.consume(['a'], b.onLease, { prefetch: 1, name: 'survivor' });
      await until(() => b.got.length === 1, 'the redelivery', 10_000);
      expect(b.got[0]?.entry.id).toBe('x');
      expect(a.got[0]?.redelivered).toBe(false);
      expect(b.got[0]?.redelivered).toBe(true);
      expect(await survivor.ack(b.got[0] as Lease)).toBe(true);
    });

    it('depth: counts waiting entries of a tool over all priorities, and leased ones where the broker tells', async () => {
      space = await fixture.open({ leaseMs: 5000 });
      const q = space.queue();
      expect(await q.depth('a')).toMatchObject({ waiting: 0 });
      await q.push(entry('d1', 'high'));
      await q.push(entry('d2'));
      await q.push(entry('d3', 'low'));
      await q.push({ id: 'other', tool: 'b', priority: 'normal' });
      await until(async () => (await q.depth('a')).waiting === 3, 'three waiting');
      const c = collect();
      await q.consume(['a'], c.onLease, { prefetch: 1, name: 'c1' });
      await until(() => c.got.length === 1, 'one lease');
      await until(async () => (await q.depth('a')).waiting === 2, 'two waiting once one is leased');
      const leased = (await q.depth('a')).leased;
      if (leased !== undefined) expect(leased).toBe(1);
      await q.ack(c.got[0] as Lease);
      await until(() => c.got.length === 2, 'the next lease');
      await q.ack(c.got[1] as Lease);
      await until(() => c.got.length === 3, 'the last lease');
      await q.ack(c.got[2] as Lease);
      await until(async () => (await q.depth('a')).waiting === 0, 'nothing waiting');
      const after = (await q.depth('a')).leased;
      if (after !== undefined) expect(after).toBe(0);
      await until(async () => (await q.depth('b')).waiting === 1, "the other tool's entry, still waiting");
    });

    it.runIf(fixture.capabilities.leaseExpiry)('rule 5: a lease not renewed lapses after leaseMs; a renewed one does not', async () => {
      space = await fixture.open({ leaseMs: 500 });
      const q1 = space.queue();
      const q2 = space.queue();
      await q1.push(entry('kept'));
      const a = collect();
      await q1.consume(['a'], a.onLease, { prefetch: 1, name: 'holder' });
      await until(() => a.got.length === 1, 'the first delivery');
      const held = a.got[0] as Lease;
      const b = collect();
      await q2.consume(['a'], b.onLease, { prefetch: 1, name: 'other' });
      // Renewed for three lease periods: never handed on.
      const until3 = Date.now() + 1500;
      while (Date.now() < until3) {
        await q1.renew(held);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(b.got.length).toBe(0);
      const stopped = Date.now();
      await until(() => b.got.length === 1, 'the lapsed lease to move', 5000);
      expect(Date.now() - stopped).toBeGreaterThanOrEqual(400);
      expect(await q1.ack(held)).toBe(false);
      expect(await q2.ack(b.got[0] as Lease)).toBe(true);
    });

    it.runIf(fixture.capabilities.priorities)('rule 6: waiting entries are delivered high before normal before low', async () => {
      space = await fixture.open({ leaseMs: 5000 });
      const q = space.queue();
      await q.push(entry('l', 'low'));
      await q.push(entry('n', 'normal'));
      await q.push(entry('h', 'high'));
      const c = collect();
      await q.consume(['a'], c.onLease, { prefetch: 1, name: 'c' });
      for (let i = 1; i <= 3; i++) {
        await until(() => c.got.length === i, `delivery ${i}`);
        await q.ack(c.got[i - 1] as Lease);
      }
      expect(c.got.map((l) => l.entry.id)).toEqual(['h', 'n', 'l']);
    });

    it('rule 7: a lease handed to another consumer is not acked by its old holder', async () => {
      space = await fixture.open({ leaseMs: 500 });
      const q1 = space.queue();
      const q2 = space.queue();
      await q1.push(entry('y'));
      const a = collect();
      await q1.consume(['a'], a.onLease, { prefetch: 1, name: 'old' });
      await until(() => a.got.length === 1, 'the first delivery');
      await space.crash(q1);
      const b = collect();
      await q2.consume(['a'], b.onLease, { prefetch: 1, name: 'new' });
      await until(() => b.got.length === 1, 'the second delivery', 10_000);
      expect(await q1.ack(a.got[0] as Lease)).toBe(false);
      expect(await q2.ack(b.got[0] as Lease)).toBe(true);
    });

    it('rule 8: a released lease is delivered again', async () => {
      space = await fixture.open({ leaseMs: 500 });
      const q = space.queue();
      await q.push(entry('r'));
      const c = collect();
      await q.consume(['a'], c.onLease, { prefetch: 1, name: 'c' });
      await until(() => c.got.length === 1, 'the first delivery');
      await q.release(c.got[0] as Lease);
      await until(() => c.got.length === 2, 'the redelivery', 10_000);
      expect(c.got[1]?.entry.id).toBe('r');
    });

    it('rule 9: nothing is delivered after stop()', async () => {
      space = await fixture.open({ leaseMs: 5000 });
      const q = space.queue();
      const c = collect();
      const consumer = await q.consume(['a'], c.onLease, { prefetch: 5, name: 'c' });
      await consumer.stop();
      await q.push(entry('late'));
      const d = collect();
      await space.queue().consume(['a'], d.onLease, { prefetch: 5, name: 'd' });
      await until(() => d.got.length === 1, 'delivery to the live consumer');
      expect(c.got.length).toBe(0);
    });

    it('rule 1: a push while the broker is unreachable fails with 503 within offlineWaitMs', async () => {
      space = await fixture.open({ leaseMs: 5000 });
      const q = await space.unreachableQueue();
      const started = Date.now();
      const error = await q.push(entry('lost')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TaskError);
      expect(error).toMatchObject({ reason: 'UNAVAILABLE', code: ErrorCode.UNAVAILABLE });
      expect(Date.now() - started).toBeLessThan(5000);
    });
  });

  describe(`${fixture.name}: tasks`, () => {
    let space: Space;
    let sys: System;
    afterEach(async () => {
      await sys?.close();
      await space?.dispose();
    });
    const open = async (leaseMs = 5000) => {
      space = await fixture.open({ leaseMs });
      sys = new System(space);
      return sys;
    };

    it('runs a task through a worker agent and streams its progress, in order, to a watcher', async () => {
      const s = await open();
      await s.worker();
      const { id, created } = await s.client.submit({ tool: 'count', args: { n: 3 } });
      expect(created).toBe(true);
      const seen = await events(s.client, id);
      expect(seen.map((e) => e.type)).toEqual(['queued', 'claimed', 'progress', 'progress', 'progress', 'succeeded']);
      expect(seen.filter((e) => e.type === 'progress').map((e) => (e.type === 'progress' ? e.data : null))).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }]);
      expect(await s.client.result(id)).toEqual({ total: 3 });
      expect(await s.client.get(id)).toMatchObject({ state: 'succeeded', attempts: 1, result: { total: 3 }, dead: false });
    });

    it('refuses at submit: unknown capability, schema-invalid arguments, a past deadline, a malformed task', async () => {
      const s = await open();
      await s.register();
      await expect(s.client.submit({ tool: 'nobody-serves-this' })).rejects.toMatchObject({ reason: 'UNKNOWN_CAPABILITY', code: 404 });
      await expect(s.client.submit({ tool: 'echo', args: { text: 5 } })).rejects.toMatchObject({ reason: 'INVALID_ARGUMENTS', code: 422 });
      await expect(s.client.submit({ tool: 'echo', args: {} })).rejects.toThrow(/text/);
      await expect(s.client.submit({ tool: 'echo', args: { text: 'x' }, deadline: Date.now() - 1 })).rejects.toMatchObject({
        reason: 'DEADLINE_PASSED',
        code: 408,
      });
      await expect(s.client.submit({ tool: 'bad name!' })).rejects.toMatchObject({ reason: 'INVALID_TASK' });
      await expect(s.client.submit({ tool: 'echo', args: { text: 'x' }, priority: 'urgent' as 'high' })).rejects.toMatchObject({ reason: 'INVALID_TASK' });
      await expect(s.client.submit({ tool: 'echo', args: { text: 'x' }, maxAttempts: 0 })).rejects.toMatchObject({ reason: 'INVALID_TASK' });
      // Nothing was stored or queued by the refused submits: a worker started now finds only this one.
      const { id } = await s.client.submit({ tool: 'echo', args: { text: 'ok' } });
      await s.worker();
      expect(await s.client.result(id)).toEqual({ echoed: 'ok' });
    });

    it('one task per idempotency key: a second submit returns the first task and runs nothing', async () => {
      const s = await open();
      await s.worker();
      s.effects.open('k1');
      const first = await s.client.submit({ tool: 'effect', args: { gate: 'k1' }, idempotencyKey: 'order-17' });
      expect(await s.client.result(first.id)).toMatchObject({ key: 'k1' });
      const again = await s.client.submit({ tool: 'effect', args: { gate: 'k1' }, idempotencyKey: 'order-17' });
      expect(again).toEqual({ id: first.id, created: false });
      expect(s.effects.counts.get('k1')).toBe(1);
    });

    it('retries with backoff, then succeeds; every attempt is in the event log', async () => {
      const s = await open();
      await s.worker();
      const { id } = await s.client.submit({ tool: 'flaky', args: { okAt: 3 }, maxAttempts: 5 });
      expect(await s.client.result(id)).toEqual({ attempt: 3 });
      const seen = await events(s.client, id);
      const retries = seen.filter((e) => e.type === 'retrying');
      expect(retries.length).toBe(2);
      expect(retries.map((e) => (e.type === 'retrying' ? e.attempt : 0))).toEqual([1, 2]);
      expect((await s.client.get(id))?.attempts).toBe(3);
    });

    it('a task that keeps failing goes to the dead letters; a 4xx from the handler is not retried', async () => {
      const s = await open();
      await s.worker();
      const { id } = await s.client.submit({ tool: 'fail', maxAttempts: 2 });
      await expect(s.client.result(id)).rejects.toMatchObject({ reason: 'TASK_FAILED', data: { code: 500, message: 'boom' } });
      const { id: refused } = await s.client.submit({ tool: 'fail', args: { code: 403 }, maxAttempts: 5 });
      await expect(s.client.result(refused)).rejects.toMatchObject({ reason: 'TASK_FAILED', data: { code: 403 } });
      expect((await s.client.get(refused))?.attempts).toBe(1);
      const dead = await s.client.deadLetters();
      expect(dead.map((r) => r.id).sort()).toEqual([id, refused].sort());
      expect(dead.find((r) => r.id === id)).toMatchObject({ state: 'failed', attempts: 2, dead: true });
      expect(await s.client.removeDeadLetter(id)).toBe(true);
      expect((await s.client.deadLetters()).map((r) => r.id)).toEqual([refused]);
    });

    it('cancel: a waiting task never runs; a running one sees its signal abort', async () => {
      const s = await open();
      await s.register();
      const waiting = await s.client.submit({ tool: 'effect', args: { gate: 'never' } });
      expect(await s.client.cancel(waiting.id)).toBe(true);
      await expect(s.client.result(waiting.id)).rejects.toMatchObject({ reason: 'TASK_CANCELLED' });
      const running = await s.client.submit({ tool: 'effect', args: { gate: 'held' } });
      await s.worker();
      await until(() => s.effects.started.get('held') === 1, 'the running task');
      expect(await s.client.cancel(running.id)).toBe(true);
      await expect(s.client.result(running.id)).rejects.toMatchObject({ reason: 'TASK_CANCELLED' });
      expect(await s.client.cancel(running.id)).toBe(false);
      // The cancelled waiting one was skipped by the worker, and nothing ran to completion.
      expect(s.effects.started.get('never')).toBeUndefined();
      expect(s.effects.counts.get('held')).toBeUndefined();
    });

    it('keeps records and results for resultTtlMs, then forgets them', async () => {
      const s = await open();
      await s.worker();
      const { id } = await s.client.submit({ tool: 'echo', args: { text: 'brief' }, resultTtlMs: 400 });
      expect(await s.client.result(id)).toEqual({ echoed: 'brief' });
      expect(await s.client.get(id)).toBeDefined();
      await until(async () => (await s.client.get(id)) === undefined, 'the record to expire', 5000);
      await expect(s.client.result(id)).rejects.toMatchObject({ reason: 'NOT_FOUND' });
    });

    it('a worker that lost its lease cannot record its result: the outcome is recorded once', async () => {
      const s = await open();
      const settled: string[] = [];
      await s.worker({ onEvent: (e) => e.type === 'settled' && settled.push(e.outcome) });
      const { id } = await s.client.submit({ tool: 'effect', args: { gate: 'late' } });
      await until(() => s.effects.started.get('late') === 1, 'the first attempt');
      // Another attempt takes the task over (as after a lapsed lease).
      const takeover = await s.store.start(id, 'intruder');
      if (takeover.kind !== 'run') throw new Error('the takeover should start');
      s.effects.open('late');
      await until(() => settled.includes('lost'), 'the first worker to be refused');
      expect((await s.client.get(id))?.state).toBe('running');
      expect(await s.store.finish(takeover.record, takeover.epoch, { ok: true, result: 'second' })).toBe(true);
      expect(await s.store.finish(takeover.record, takeover.epoch, { ok: true, result: 'third' })).toBe(false);
      const seen = await events(s.client, id);
      expect(seen.filter((e) => e.type === 'succeeded')).toEqual([expect.objectContaining({ result: 'second' })]);
    });

    it('a duplicated delivery runs the side effect once (dedup by idempotency key)', async () => {
      const s = await open();
      await s.worker();
      await s.worker();
      const { id } = await s.client.submit({ tool: 'effect', args: { gate: 'dup' }, idempotencyKey: 'dup-key' });
      // The same entry on the queue a second time, as a redelivery would bring it.
      await s.queue.push({ id, tool: 'effect', priority: 'normal' });
      await until(() => s.effects.started.get('dup') === 1, 'the first run');
      s.effects.open('dup');
      expect(await s.client.result(id)).toMatchObject({ key: 'dup' });
      const seen = await events(s.client, id);
      expect(seen.filter((e) => e.type === 'succeeded').length).toBe(1);
      await until(async () => (await s.client.get(id))?.state === 'succeeded', 'the record');
      expect(s.effects.counts.get('dup')).toBe(1);
      expect(s.effects.started.get('dup')).toBe(1);
    });

    it('a past deadline at start fails the task instead of running it', async () => {
      const s = await open();
      await s.register();
      const deadline = Date.now() + 150;
      const { id } = await s.client.submit({ tool: 'effect', args: { gate: 'dl' }, deadline });
      await until(() => Date.now() > deadline + 5, 'the deadline to pass');
      await s.worker();
      await expect(s.client.result(id)).rejects.toMatchObject({ reason: 'TASK_FAILED', data: { code: 408 } });
      expect(s.effects.started.get('dl')).toBeUndefined();
    });
  });
}
