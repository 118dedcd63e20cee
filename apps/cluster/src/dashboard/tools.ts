import { type ToolSet, tool } from '@agentsocket/core';
import { sleep } from '@agentsocket/core/internal';
import type { RedisConnection } from '@agentsocket/redis';
import { type QueueReport, readQueueReport } from '../queue-stats.js';

/**
 * `dashboard.queues`: streams the task queue's figures (`QueueReport`) every `intervalMs`
 * (100-60000, default 1000) until the caller interrupts. Redis has no push for stream lengths,
 * so this one reads on a timer; agents and nodes come from `registry.watch`, which is pushed.
 */
export function dashboardTools(connection: RedisConnection, tasksPrefix: string): ToolSet {
  return {
    'dashboard.queues': tool({
      description: "Streams the task queue's depth, leases in flight, dead letters and totals, every intervalMs",
      input: {
        type: 'object',
        properties: { intervalMs: { type: 'integer', minimum: 100, maximum: 60_000 } },
        additionalProperties: false,
      },
      async *handler(args, ctx): AsyncGenerator<QueueReport, void> {
        const intervalMs = typeof args['intervalMs'] === 'number' ? args['intervalMs'] : 1000;
        while (!ctx.signal.aborted) {
          if (connection.isReady) yield await readQueueReport(connection.client, tasksPrefix);
          await sleep(intervalMs, ctx.signal).catch(() => {});
        }
      },
    }),
  };
}
