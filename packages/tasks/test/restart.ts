import { afterEach, describe, expect, it } from 'vitest';
import { TaskError } from '../src/index.js';
import { canRunOwnRabbit, OwnRabbit, OwnRedis, until } from './env.js';
import type { QueueFixture, Space } from './fixture.js';
import { System } from './harness.js';

/**
 * Restarts under accepted work: Redis (its own redis-server, AOF with appendfsync always, killed
 * with SIGKILL), and every worker and client process (fresh objects and connections after it).
 */
export function restartSuite(fixture: QueueFixture): void {
  describe(`${fixture.name}: restarts`, () => {
    let own: OwnRedis | undefined;
    let space: Space | undefined;
    const systems: System[] = [];
    afterEach(async () => {
      for (const s of systems.splice(0)) await s.close();
      await space?.dispose();
      await own?.dispose();
      own = undefined;
    });
    const system = (sp: Space) => {
      const s = new System(sp);
      systems.push(s);
      return s;
    };

    it('a Redis kill fails submits with 503 while it is down, and loses nothing it had accepted', async () => {
      own = await OwnRedis.start();
      space = await fixture.open({ leaseMs: 1000, redisUrl: own.url });
      const before = system(space);
      await before.worker();
      const finished = await Promise.all(Array.from({ length: 5 }, (_, i) => before.client.submit({ tool: 'echo', args: { text: `done ${i}` } })));
      for (const [i, t] of finished.entries()) expect(await before.client.result(t.id)).toEqual({ echoed: `done ${i}` });
      await before.close();
      const waiting = await Promise.all(Array.from({ length: 20 }, (_, i) => before.client.submit({ tool: 'echo', args: { text: `wait ${i}` } })));

      await own.kill();
      await expect(before.client.submit({ tool: 'echo', args: { text: 'refused' } })).rejects.toMatchObject({ reason: 'UNAVAILABLE', code: 503 });
      await own.start();

      // Every process anew: fresh clients, workers and connections.
      const after = system(space);
      await after.worker();
      for (const [i, t] of waiting.entries()) expect(await after.client.result(t.id, { timeoutMs: 20_000 })).toEqual({ echoed: `wait ${i}` });
      for (const [i, t] of finished.entries()) {
        expect(await after.client.get(t.id)).toMatchObject({ state: 'succeeded', result: { echoed: `done ${i}` }, attempts: 1 });
      }
    });
  });
}

/**
 * Restarts a RabbitMQ node (stop_app, start_app: the node and its data stay) under accepted work.
 * The node is the test's own (`OwnRabbit`), never the machine's shared broker: stopping that one
 * failed the RabbitMQ tests of any other run on the machine that overlapped the stop (a submit
 * refused with 503, a connection refused).
 */
export function rabbitRestartSuite(fixture: (amqpUrl: string) => QueueFixture): void {
  const can = canRunOwnRabbit();
  if (!can) {
    if (process.env['CI'] === 'true') throw new Error('rabbitmq-server or rabbitmqctl is missing; CI must run the RabbitMQ restart test');
    console.warn('\n!!! SKIPPING the RabbitMQ restart test: rabbitmq-server or rabbitmqctl is not installed !!!\n');
  }
  describe.runIf(can)(`RabbitMQ: a broker restart`, () => {
    let own: OwnRabbit | undefined;
    let space: Space | undefined;
    let sys: System | undefined;
    afterEach(async () => {
      await sys?.close();
      await space?.dispose();
      await own?.dispose();
    });

    it('fails pushes with 503 while RabbitMQ is stopped, and loses nothing it had accepted', { timeout: 180_000 }, async () => {
      own = await OwnRabbit.start();
      space = await fixture(own.url).open({ leaseMs: 1000 });
      sys = new System(space);
      await sys.register();
      const waiting = await Promise.all(Array.from({ length: 20 }, (_, i) => sys?.client.submit({ tool: 'echo', args: { text: `wait ${i}` } })));
      await own.ctl('stop_app');
      try {
        await expect(sys.client.submit({ tool: 'echo', args: { text: 'late' }, idempotencyKey: 'during-outage' })).rejects.toMatchObject({
          reason: 'UNAVAILABLE',
          code: 503,
        });
      } finally {
        await own.ctl('start_app');
        await own.ctl('await_startup');
      }
      // The refused submit stored its task; the same key again queues it, once the connection has
      // recovered (its reconnect backoff may still be running: retried as a caller would).
      let again: { id: string; created: boolean } | undefined;
      await until(async () => {
        again = await sys?.client.submit({ tool: 'echo', args: { text: 'late' }, idempotencyKey: 'during-outage' }).catch((e: unknown) => {
          if (e instanceof TaskError && e.reason === 'UNAVAILABLE') return undefined;
          throw e;
        });
        return again !== undefined;
      }, 'a submit after the restart', 30_000);
      if (!again) throw new Error('a submit');
      expect(again.created).toBe(false);
      await sys.worker();
      for (const [i, t] of waiting.entries()) expect(await sys.client.result(t?.id ?? '', { timeoutMs: 30_000 })).toEqual({ echoed: `wait ${i}` });
      expect(await sys.client.result(again.id, { timeoutMs: 30_000 })).toEqual({ echoed: 'late' });
    });
  });
}
