import type { RedisConnection } from '@agentsocket/redis';
import type { RedisStreamsQueue, TaskStore } from '@agentsocket/tasks';
import type { swarmKeys } from './work-agent.js';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface CheckInput {
  connection: RedisConnection;
  keys: ReturnType<typeof swarmKeys>;
  queue: RedisStreamsQueue;
  store: TaskStore;
  /** Task id of task i (undefined: never accepted). */
  ids: Array<string | undefined>;
  /** Idempotency key of task i. */
  keyOf: (i: number) => string;
  /** What result(id) gave for task i ({ error } when it threw). */
  results: unknown[];
  faults: { workerKills: number; nodeKills: number; redisRestarts: number; crashes: number; error: string | undefined };
}

const CHUNK = 500;

function expected(value: unknown, n: number): boolean {
  return typeof value === 'object' && value !== null && 'n' in value && 'square' in value && value.n === n && value.square === n * n;
}

/** Reads everything back from Redis and says, check by check, whether every task completed exactly once. */
export async function runChecks(input: CheckInput): Promise<Check[]> {
  const { connection, keys, store, ids, results } = input;
  const client = connection.client;
  const total = ids.length;
  const checks: Check[] = [];
  const add = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });

  const accepted = ids.filter((id) => id !== undefined).length;
  add('every task accepted', accepted === total, `${accepted}/${total} submits resolved with a task id`);
  const wrong = results.map((r, i) => (expected(r, i) ? -1 : i)).filter((i) => i >= 0);
  add('every result correct', wrong.length === 0, wrong.length === 0 ? `${total} results, each n²` : `${wrong.length} wrong or missing, e.g. task ${wrong[0]}: ${JSON.stringify(results[wrong[0] ?? 0])}`);

  let notSucceeded = 0;
  let notOnce = 0;
  let example = '';
  for (let i = 0; i < total; i += CHUNK) {
    const slice = ids.slice(i, i + CHUNK).filter((id): id is string => id !== undefined);
    const pipe = client.pipeline();
    for (const id of slice) {
      pipe.hget(store.key.record(id), 'state');
      pipe.xrange(store.key.events(id), '-', '+');
    }
    const replies = (await pipe.exec()) ?? [];
    slice.forEach((id, j) => {
      const state = replies[2 * j]?.[1];
      const events = replies[2 * j + 1]?.[1];
      if (state !== 'succeeded') {
        notSucceeded++;
        example ||= `${id}: ${String(state)}`;
      }
      const terminal = Array.isArray(events)
        ? events.filter((e: unknown) => Array.isArray(e) && Array.isArray(e[1]) && /"type":"(succeeded|failed|cancelled)"/.test(String(e[1][1]))).length
        : 0;
      if (terminal !== 1) {
        notOnce++;
        example ||= `${id}: ${terminal} terminal events`;
      }
    });
  }
  add('every task succeeded', notSucceeded === 0, notSucceeded === 0 ? `${total} records in state succeeded` : `${notSucceeded} not succeeded (${example})`);
  add('one outcome per task', notOnce === 0, notOnce === 0 ? 'each event log ends with exactly one succeeded event' : `${notOnce} with other than one terminal event (${example})`);

  const [ledgerKeys, applied, runs, sends] = await Promise.all([
    client.hkeys(keys.ledger),
    client.get(keys.applied),
    client.hvals(keys.runs),
    client.hvals(keys.effects),
  ]);
  const inLedger = new Set(ledgerKeys);
  const missing = Array.from({ length: total }, (_, i) => input.keyOf(i)).filter((k) => !inLedger.has(k));
  add(
    'every side effect applied once',
    missing.length === 0 && ledgerKeys.length === total && Number(applied) === total,
    `ledger holds ${ledgerKeys.length} keys for ${total} tasks, ${Number(applied)} applications${missing.length ? `, ${missing.length} missing (e.g. ${missing[0]})` : ''}`,
  );
  const handlerRuns = runs.reduce((a, v) => a + Number(v), 0);
  const effectSends = sends.reduce((a, v) => a + Number(v), 0);
  add(
    'handler runs counted',
    handlerRuns >= total,
    `${handlerRuns} handler runs for ${total} tasks (${handlerRuns - total} re-runs after faults), ${effectSends} effect sends (${effectSends - total} refused by the ledger as duplicates)`,
  );

  const dead = await client.zcard(store.key.dead());
  add('no dead letters', dead === 0, `${dead} dead letters`);
  const depth = await input.queue.depth('work');
  add('queue drained', depth.waiting === 0 && depth.leased === 0, `${depth.waiting} waiting, ${depth.leased} leased`);
  const f = input.faults;
  add(
    'faults injected',
    f.workerKills >= 1 && f.nodeKills === 1 && f.redisRestarts === 1 && f.error === undefined,
    `${f.workerKills} worker SIGKILLs, ${f.nodeKills} node SIGKILL, ${f.redisRestarts} Redis restart${f.error ? `; failed: ${f.error}` : ''}`,
  );
  add('no worker crashed by itself', f.crashes === 0, `${f.crashes} worker exits not caused by the demo`);
  return checks;
}
