import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentClient } from '@agentsocket/core';
import { describe, expect, it } from 'vitest';
import { startCluster } from '../src/cluster.js';
import { cleanup, clusterSkip, REDIS_URL } from './fixture.js';

const skip = await clusterSkip();

/** Issue 10's recovery targets, with a node killed every 3 s. */
const MAX_RECONNECT_WAIT_MS = 3000;
const MAX_EXTRA_LATENCY_MS = 5000;
const KILL_EVERY_MS = 3000;
/** Each node once, then the first again: a node that died before must be taken back like any. */
const KILLS = 4;
const CLIENTS = 12;
/** One call: a stream of 10 chunks, 10 ms apart (about 100 ms when nothing goes wrong). */
const CALL = { n: 10, delayMs: 10 };

interface Timing {
  waits: number[];
  durations: number[];
  failed: string[];
}

/** Each client keeps one call going until `stop()`; records how long each took. */
function lanes(clients: AgentClient[], timing: Timing): { stop(): Promise<void> } {
  let stopped = false;
  const running = clients.map(async (client, i) => {
    while (!stopped) {
      const started = performance.now();
      try {
        const call = client.invoke('count', CALL, { delivery: 'at-least-once' });
        for await (const _ of call) {
          // drain
        }
        await call.result;
        timing.durations.push(performance.now() - started);
      } catch (error) {
        timing.failed.push(`client ${i}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  });
  return {
    async stop() {
      stopped = true;
      await Promise.all(running);
    },
  };
}

/** Time from each drop to the next connect, per client. */
function watchWaits(clients: AgentClient[], waits: number[]): void {
  for (const client of clients) {
    let since: number | undefined;
    client.on('disconnect', () => {
      since ??= performance.now();
    });
    client.on('connect', () => {
      if (since === undefined) return;
      waits.push(performance.now() - since);
      since = undefined;
    });
  }
}

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
};

describe.skipIf(skip)('recovery through nginx while nodes are SIGKILLed every 3 s', { timeout: 180_000 }, () => {
  const t = cleanup();

  it(`${KILLS} kills, one every 3 s while two nodes are up, ${CLIENTS} clients (half pinned by the affinity cookie): no 502, reconnects ≤ 3 s, calls ≤ 5 s slower`, async () => {
    const cluster = t.cluster(await startCluster({ redisUrl: REDIS_URL }));
    const ids = cluster.supervisor.nodes.map((n) => n.id);
    const clients: AgentClient[] = [];
    for (let i = 0; i < CLIENTS; i++) {
      // Pinned clients keep sending the cookie of a node that is killed: nginx must pass them on.
      const pinned = i % 2 === 0 ? { node: ids[(i / 2) % ids.length] ?? 'node-1' } : {};
      // The documented default backoff: the figures must hold without tuning the client.
      clients.push(await t.client({ connect: await cluster.connector(pinned), namespace: '/team-recovery', name: `r-${i}`, reconnect: {} }));
    }

    // What a call takes here, now, with nothing killed.
    const calm: Timing = { waits: [], durations: [], failed: [] };
    const warm = lanes(clients, calm);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await warm.stop();
    const normalMs = quantile(calm.durations, 0.99);

    const storm: Timing = { waits: [], durations: [], failed: [] };
    watchWaits(clients, storm.waits);
    const load = lanes(clients, storm);
    // Every 3 s a node is SIGKILLed and started again at once on its port, taking turns so that
    // nodes which died before die again. Two nodes stay up: a tick is skipped while the last node
    // killed is still starting (node starts take longer on a loaded machine).
    const began = performance.now();
    const killedAt: number[] = [];
    const startMs: number[] = [];
    const restarts: Promise<void>[] = [];
    let starting = false;
    for (let tick = 1; killedAt.length < KILLS; tick++) {
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, tick * KILL_EVERY_MS - (performance.now() - began))));
      if (starting) continue;
      const victim = ids[killedAt.length % ids.length] ?? 'node-1';
      killedAt.push(performance.now() - began);
      await cluster.supervisor.kill(victim, 'SIGKILL');
      const restarting = performance.now();
      starting = true;
      restarts.push(
        cluster.supervisor.restart(victim).then(() => {
          startMs.push(performance.now() - restarting);
          starting = false;
        }),
      );
    }
    await Promise.all(restarts);
    // Let the last kill's reconnects and calls finish.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await load.stop();

    const log = await readFile(join(cluster.nginx.dir, 'access.log'), 'utf8');
    const status502 = log.split('\n').filter((l) => / 502 upstream=/.test(l)).length;
    const noLive = (await cluster.nginx.errorLog()).split('\n').filter((l) => l.includes('no live upstreams')).length;
    const maxWait = Math.max(0, ...storm.waits);
    const maxExtra = Math.max(0, ...storm.durations.map((d) => d - normalMs));
    console.log(
      [
        `recovery through nginx, ${KILLS} SIGKILLs on ${KILL_EVERY_MS} ms ticks, ${CLIENTS} clients:`,
        `  kills at ${killedAt.map((ms) => (ms / 1000).toFixed(1)).join(', ')} s (a tick is skipped while the last node killed is starting); starts took ${startMs.map((ms) => (ms / 1000).toFixed(1)).join(', ')} s`,
        `  reconnects ${storm.waits.length}: p50 ${quantile(storm.waits, 0.5).toFixed(0)} ms, max ${maxWait.toFixed(0)} ms (target ≤ ${MAX_RECONNECT_WAIT_MS})`,
        `  calls ${storm.durations.length}: normal p99 ${normalMs.toFixed(0)} ms (from ${calm.durations.length} calls before), under kills p50 ${quantile(storm.durations, 0.5).toFixed(0)} ms, max ${Math.max(0, ...storm.durations).toFixed(0)} ms; max extra ${maxExtra.toFixed(0)} ms (target ≤ ${MAX_EXTRA_LATENCY_MS})`,
        `  nginx: ${status502} answers 502, ${noLive} "no live upstreams"; failed calls ${storm.failed.length}`,
      ].join('\n'),
    );
    expect(storm.failed).toEqual([]);
    expect(storm.waits.length).toBeGreaterThanOrEqual(KILLS);
    expect(maxWait).toBeLessThanOrEqual(MAX_RECONNECT_WAIT_MS);
    expect(maxExtra).toBeLessThanOrEqual(MAX_EXTRA_LATENCY_MS);
    expect(noLive).toBe(0);
    expect(status502).toBe(0);
  });
});
