import { afterEach, describe, expect, it } from 'vitest';
import { WorkerProcess } from './child.js';
import { until } from './env.js';
import type { QueueFixture, Space } from './fixture.js';
import { events, System } from './harness.js';

/** A worker process killed with SIGKILL mid-task: its lease goes, the task runs on another worker once. */
export function workerKillSuite(fixture: QueueFixture): void {
  describe(`${fixture.name}: a worker process killed mid-task`, () => {
    let space: Space;
    let sys: System;
    let doomed: WorkerProcess | undefined;
    afterEach(async () => {
      await doomed?.kill();
      await sys?.close();
      await space?.dispose();
    });

    it('loses its lease; the task runs on another worker and its outcome is recorded once', async () => {
      space = await fixture.open({ leaseMs: 1000 });
      sys = new System(space);
      doomed = new WorkerProcess(space.config);
      await until(() => doomed?.lines.includes('ready') === true, 'the worker process to start', 20_000);
      const { id } = await sys.client.submit({ tool: 'effect', args: { gate: 'kill' }, idempotencyKey: 'kill-1' });
      await until(() => doomed?.lines.includes(`started ${id}`) === true, 'the worker process to start the task');
      await doomed.kill();
      const killedAt = Date.now();
      sys.effects.open('kill');
      await sys.worker({ id: 'survivor' });
      expect(await sys.client.result(id, { timeoutMs: 20_000 })).toEqual({ key: 'kill', by: `task:${id}` });
      const redeliveredIn = Date.now() - killedAt;
      const seen = await events(sys.client, id);
      const claims = seen.flatMap((e) => (e.type === 'claimed' ? [e.worker] : []));
      expect(claims).toEqual(['doomed', 'survivor']);
      expect(seen.filter((e) => e.type === 'succeeded').length).toBe(1);
      expect(sys.effects.counts.get('kill')).toBe(1);
      expect(await sys.client.get(id)).toMatchObject({ state: 'succeeded', attempts: 2, worker: 'survivor' });
      // Lease (1 s) + the sweep + the dead worker's dedup claim lapsing (1 s): well under 10 s.
      expect(redeliveredIn).toBeLessThan(10_000);
    });
  });
}
