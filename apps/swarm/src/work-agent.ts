import { tool } from '@agentsocket/core';
import type { RedisConnection } from '@agentsocket/redis';

/** Where the swarm keeps what the checks read, beside the tasks' own keys. */
export function swarmKeys(prefix: string) {
  return {
    /** The external system's ledger: idempotency key → worker that applied the effect, once per key. */
    ledger: `${prefix}swarm:ledger`,
    /** How many effects the ledger applied (HSETNX that set). */
    applied: `${prefix}swarm:applied`,
    /** Idempotency key → handler runs (above 1: a re-run after a worker or Redis died mid-task). */
    runs: `${prefix}swarm:runs`,
    /** Idempotency key → times the effect reached the ledger (above 1: refused as a duplicate). */
    effects: `${prefix}swarm:effects`,
    /** The tasks package's prefix: the cluster's dashboard reads queues under `<prefix>tasks:`. */
    tasks: `${prefix}tasks:`,
  };
}

// The external system: applies an effect once per idempotency key, however often it is sent.
const APPLY = `redis.call('HINCRBY', KEYS[3], ARGV[1], 1)
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1 then redis.call('INCR', KEYS[2]) return 1 end
return 0`;

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A worker agent's tools: one, `work`, that takes `workMs`, has a side effect (sent to the ledger
 * with `ctx.once`, keyed by the task's idempotency key as docs/tasks.md recommends) and returns
 * `n²`. The same tool serves live calls over the worker's cluster connection and queued tasks.
 */
export function workTools(workerId: string, redis: RedisConnection, prefix: string) {
  const keys = swarmKeys(prefix);
  return {
      work: tool({
        description: 'Works for workMs, applies its effect once, returns n squared',
        input: {
          type: 'object',
          properties: { n: { type: 'integer', minimum: 0 }, workMs: { type: 'integer', minimum: 0, maximum: 10_000 } },
          required: ['n', 'workMs'],
          additionalProperties: false,
        } as const,
        async handler(args, ctx) {
          const n = Number(args['n']);
          await redis.client.hincrby(keys.runs, ctx.messageId, 1);
          await pause(Number(args['workMs']), ctx.signal);
          await ctx.once('effect', () => redis.client.eval(APPLY, 3, keys.ledger, keys.applied, keys.effects, ctx.messageId, workerId));
          return { n, square: n * n, worker: workerId };
        },
      }),
  };
}
