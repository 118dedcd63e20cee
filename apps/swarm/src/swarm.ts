import { randomUUID } from 'node:crypto';
import { AgentClient, ErrorCode, ProtocolError } from '@agentsocket/core';
import { sleep } from '@agentsocket/core/internal';
import { type Cluster, pingRedis, type RunningRedis, startCluster, startRedisServer, waitFor } from '@agentsocket/cluster/lib';
import { RedisConnection } from '@agentsocket/redis';
import { RedisStreamsQueue, TaskClient, TaskError, TaskStore } from '@agentsocket/tasks';
import { wsConnector } from '@agentsocket/ws';
import { type Check, runChecks } from './checks.js';
import { Rng } from './rng.js';
import { swarmKeys } from './work-agent.js';
import { WorkerPool } from './workers.js';

export interface SwarmOptions {
  /** @default 10000 */
  tasks?: number;
  /** @default 20 */
  workers?: number;
  /** Tasks each worker runs at once. @default 4 */
  concurrency?: number;
  /** Cluster nodes behind nginx. @default 3 */
  nodes?: number;
  /** How long each task's handler works, ms: uniform in [min, max]. @default [5, 40] */
  workMs?: [number, number];
  /** The queue lease: a killed worker's tasks run elsewhere after about this long. @default 2000 */
  leaseMs?: number;
  /** A random worker is SIGKILLed (and started again) this often. @default 4000 */
  killWorkerEveryMs?: number;
  /** Submits in flight at once. @default 200 */
  submitters?: number;
  /** @default 1 */
  seed?: number;
  out?: { write(s: string): unknown };
}

export interface SwarmResult {
  checks: Check[];
  ok: boolean;
  workerKills: number;
  nodeKills: number;
  redisRestarts: number;
  durationMs: number;
}

/**
 * The swarm demo: a private Redis (append-only file, fsync always), N cluster nodes behind nginx,
 * worker agent processes and an orchestrator; pushes the tasks through @agentsocket/tasks while
 * workers are SIGKILLed at random, a random node is SIGKILLed once (at a quarter of the tasks)
 * and Redis is restarted once (at half), then checks every task completed exactly once.
 */
export async function runSwarm(options: SwarmOptions = {}): Promise<SwarmResult> {
  const total = options.tasks ?? 10_000;
  const workerCount = options.workers ?? 20;
  const [minWork, maxWork] = options.workMs ?? [5, 40];
  const leaseMs = options.leaseMs ?? 2000;
  const rng = new Rng(options.seed ?? 1);
  const say = (line: string) => options.out?.write(`${line}\n`);
  const began = Date.now();
  const run = randomUUID().slice(0, 8);
  let redis: RunningRedis | undefined;
  let cluster: Cluster | undefined;
  let pool: WorkerPool | undefined;
  let orchestrator: AgentClient | undefined;
  const connections: RedisConnection[] = [];
  let crashes = 0;
  try {
    redis = await startRedisServer('redis-server', { aof: true });
    say(`redis-server on ${redis.url} (append-only file, fsync always)`);
    cluster = await startCluster({ redisUrl: redis.url, prefix: `asp-swarm:${run}:`, count: options.nodes ?? 3, readyTimeoutMs: 90_000 });
    const keys = swarmKeys(cluster.prefix);
    say(`${options.nodes ?? 3} nodes behind nginx at ${cluster.nginx.url} (WebSocket ${cluster.wsUrl})`);
    say(`dashboard: ${cluster.nginx.url}/dashboard`);

    const workers = new WorkerPool({
      redisUrl: redis.url,
      prefix: cluster.prefix,
      wsUrl: cluster.wsUrl,
      leaseMs,
      concurrency: options.concurrency ?? 4,
      log: (id, line) => {
        if (line.startsWith('start failed')) say(`  ${id}: ${line}`);
      },
      onCrash: (id, why, tail) => {
        crashes++;
        say(`  ${id} exited by itself (${why}):\n    ${tail.join('\n    ')}`);
      },
    });
    pool = workers;
    const ids = Array.from({ length: workerCount }, (_, i) => `worker-${i + 1}`);
    // A few at a time: twenty Node processes starting at once would swamp a small machine.
    for (let i = 0; i < ids.length; i += 5) await Promise.all(ids.slice(i, i + 5).map((id) => workers.start(id)));
    say(`${workerCount} worker agents up (team /team-swarm)`);

    orchestrator = new AgentClient({
      connect: wsConnector({ url: cluster.wsUrl }),
      name: `orchestrator-${run}`,
      namespace: '/orchestrator',
      reconnect: { initialMs: 50, maxMs: 1000 },
      connectAttempts: Number.POSITIVE_INFINITY,
    });
    await orchestrator.connect();
    const connection = new RedisConnection({ url: redis.url, options: { enableAutoPipelining: true } });
    connections.push(connection);
    const store = new TaskStore({ connection, prefix: keys.tasks });
    const queue = new RedisStreamsQueue({ connection, prefix: keys.tasks, leaseMs });
    const tasks = new TaskClient({ store, queue });

    // The orchestrator: every task has its own idempotency key, so a submit that failed while
    // Redis was away is sent again with the same key and still makes one task.
    const ids2: string[] = new Array(total);
    const results: unknown[] = new Array(total);
    let done = 0;
    let submitted = 0;
    let resubmits = 0;
    const submitOne = async (i: number): Promise<void> => {
      const spec = { tool: 'work', args: { n: i, workMs: rng.int(minWork, maxWork) }, idempotencyKey: `swarm-${run}-${i}`, maxAttempts: 20 };
      for (;;) {
        try {
          const { id } = await tasks.submit(spec);
          ids2[i] = id;
          submitted++;
          break;
        } catch (error) {
          if (!(error instanceof TaskError) || error.reason !== 'UNAVAILABLE') {
            results[i] = { error: String(error) };
            return;
          }
          resubmits++;
          await sleep(200);
        }
      }
      const id = ids2[i] ?? '';
      // A wait started while Redis is away fails with 503 after offlineWaitMs (docs/tasks.md): wait again.
      for (;;) {
        try {
          results[i] = await tasks.result(id, { timeoutMs: 300_000 });
          break;
        } catch (error) {
          if (error instanceof ProtocolError && error.code === ErrorCode.UNAVAILABLE) {
            await sleep(200);
            continue;
          }
          results[i] = { error: String(error) };
          break;
        }
      }
      done++;
    };
    let next = 0;
    const submitter = async () => {
      while (next < total) await submitOne(next++);
    };

    // The faults, while the tasks flow.
    let workerKills = 0;
    let nodeKills = 0;
    let redisRestarts = 0;
    let flowing = true;
    const running = cluster;
    const server = redis;
    let faultError: string | undefined;
    const faults = (async () => {
      const nodeAt = Math.floor(total / 4);
      const redisAt = Math.floor(total / 2);
      let lastKill = Date.now();
      while (flowing) {
        await sleep(100);
        const due = Date.now() - lastKill >= (options.killWorkerEveryMs ?? 4000) || (workerKills === 0 && done >= total / 10);
        // At most half the workers down at once: a restart takes seconds on a busy machine.
        if (due && workers.ready.length > workerCount / 2) {
          lastKill = Date.now();
          const id = rng.pick(workers.ready);
          await workers.kill(id);
          workerKills++;
          say(`  [${done}/${total}] SIGKILL ${id} (its leases run elsewhere after ${leaseMs} ms); starting it again`);
          void workers.start(id).catch((error: unknown) => flowing && say(`  ${id} did not come back: ${String(error)}`));
        }
        if (nodeKills === 0 && done >= nodeAt) {
          const node = rng.pick(running.supervisor.nodes.map((n) => n.id));
          nodeKills++;
          say(`  [${done}/${total}] SIGKILL cluster ${node}; its agents reconnect through nginx`);
          await running.supervisor.kill(node);
          void sleep(2000)
            .then(() => running.supervisor.restart(node))
            .then(
              () => say(`  ${node} is back`),
              (error: unknown) => say(`  ${node} did not come back: ${String(error)}`),
            );
        }
        if (redisRestarts === 0 && done >= redisAt) {
          redisRestarts++;
          say(`  [${done}/${total}] SIGKILL redis-server; starting it again from its append-only file in 1 s`);
          await server.stop('SIGKILL');
          await sleep(1000);
          // Replaying a large append-only file on a busy machine can outlast start()'s own wait.
          await server.start().catch(() => undefined);
          await waitFor(() => pingRedis(server.url, 1000), 'redis-server to answer again', 180_000, 200);
          say('  redis-server is back');
        }
      }
    })().catch((error: unknown) => {
      faultError = error instanceof Error ? error.message : String(error);
      say(`  fault injection failed: ${faultError}`);
    });
    const progress = setInterval(() => say(`  ${done}/${total} tasks done (${submitted} submitted)`), 5000);
    try {
      await Promise.all(Array.from({ length: options.submitters ?? 200 }, submitter));
    } finally {
      flowing = false;
      clearInterval(progress);
      await faults;
    }
    say(`all ${total} results in, ${resubmits} submits sent again while Redis was away; checking`);
    const checks = await runChecks({
      connection,
      keys,
      queue,
      store,
      ids: ids2,
      keyOf: (i) => `swarm-${run}-${i}`,
      results,
      faults: { workerKills, nodeKills, redisRestarts, crashes, error: faultError },
    });
    for (const c of checks) say(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
    await store.close();
    return { checks, ok: checks.every((c) => c.ok), workerKills, nodeKills, redisRestarts, durationMs: Date.now() - began };
  } finally {
    await orchestrator?.close().catch(() => {});
    for (const c of connections) await c.close().catch(() => {});
    await pool?.stop().catch(() => {});
    await cluster?.stop().catch(() => {});
    await redis?.remove().catch(() => {});
  }
}
