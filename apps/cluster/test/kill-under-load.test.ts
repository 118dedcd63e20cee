import { randomUUID } from 'node:crypto';
import { AgentClient, type Connector } from '@agentsocket/core';
import { wsConnector } from '@agentsocket/ws';
import { describe, expect, it } from 'vitest';
import { ASP_PATH } from '../src/cluster-node.js';
import { Supervisor } from '../src/supervisor.js';
import { waitFor } from '../src/wait.js';
import { clusterSkip, REDIS_URL, range } from './fixture.js';

const skip = await clusterSkip();

const CLIENTS = 8;
const IN_FLIGHT_EACH = 8;
const KILLS = 3;
const CHUNKS = 5;

/** Connects to a random running node, as a load balancer that knows which nodes are up would. */
function anyRunningNode(supervisor: Supervisor): Connector {
  return (signal) => {
    const up = supervisor.nodes.filter((n) => n.running);
    const node = up[Math.floor(Math.random() * up.length)];
    if (!node) return Promise.reject(new Error('no node is running'));
    return wsConnector({ url: `ws://127.0.0.1:${node.port}${ASP_PATH}`, openTimeoutMs: 2000 })(signal);
  };
}

describe.skipIf(skip)('SIGKILL under exactly-once load', { timeout: 120_000 }, () => {
  it(`${CLIENTS * IN_FLIGHT_EACH} exactly-once streams in flight, ${KILLS} nodes SIGKILLed: none lost, none duplicated`, async () => {
    const supervisor = new Supervisor({ redisUrl: REDIS_URL, prefix: `asp-kill:${randomUUID()}:`, count: KILLS + 1, args: ['--hub-heartbeat-ms', '200'] });
    const clients: AgentClient[] = [];
    const tally = { completed: 0, lost: 0, duplicated: 0, failed: [] as string[], slowestMs: 0 };
    let stop = false;
    try {
      await supervisor.start();
      for (let i = 0; i < CLIENTS; i++) {
        const client = new AgentClient({ connect: anyRunningNode(supervisor), namespace: '/team-load', name: `caller-${i}`, reconnect: { initialMs: 20, maxMs: 250 } });
        await client.connect();
        clients.push(client);
      }
      // Each lane keeps one call in flight until told to stop.
      const lane = async (client: AgentClient) => {
        while (!stop) {
          const call = client.invoke('count', { n: CHUNKS, delayMs: 15 }, { delivery: 'exactly-once', timeoutMs: 30_000 });
          const seen: unknown[] = [];
          const started = Date.now();
          try {
            for await (const chunk of call) seen.push(chunk);
            const { value } = await call.result;
            if (JSON.stringify(seen) !== JSON.stringify(range(CHUNKS))) tally.duplicated++;
            else if (typeof value !== 'object' || value === null || !('total' in value) || value.total !== CHUNKS) tally.failed.push(`result ${JSON.stringify(value)}`);
            else tally.completed++;
            tally.slowestMs = Math.max(tally.slowestMs, Date.now() - started);
          } catch (error) {
            const code = error instanceof Error && 'code' in error ? error.code : undefined;
            if (code === 'TIMEOUT') tally.lost++;
            else tally.failed.push(`${String(code)}: ${error instanceof Error ? error.message : String(error)}`);
          }
        }
      };
      const lanes = clients.flatMap((c) => Array.from({ length: IN_FLIGHT_EACH }, () => lane(c)));
      // Calls complete again after each kill (a stall fails here rather than at the test timeout).
      const progress = () => {
        const before = tally.completed;
        return waitFor(() => tally.completed >= before + 500, '500 more calls to complete', 30_000);
      };
      const kills: string[] = [];
      for (let k = 0; k < KILLS; k++) {
        await progress();
        const up = supervisor.nodes.filter((n) => n.running);
        const victim = up[Math.floor(Math.random() * up.length)];
        if (!victim) throw new Error('no node to kill');
        // Not restarted: one node more than kills, so the last one standing serves everyone.
        await supervisor.kill(victim.id, 'SIGKILL');
        kills.push(victim.id);
      }
      await progress();
      stop = true;
      await Promise.all(lanes);
      console.log(`SIGKILL under load: ${JSON.stringify({ kills, completed: tally.completed, lost: tally.lost, duplicated: tally.duplicated, failed: tally.failed.length, slowestMs: tally.slowestMs })}`);
      expect(tally.lost).toBe(0);
      expect(tally.duplicated).toBe(0);
      expect(tally.failed).toEqual([]);
      expect(tally.completed).toBeGreaterThanOrEqual(500 * (KILLS + 1));
      // Calls a dead node held ran again once its heartbeat expired (600 ms here), not after the
      // 10 s claim lease that used to be the only way a dead node's claim was freed.
      expect(tally.slowestMs).toBeLessThan(9000);
    } finally {
      stop = true;
      await Promise.allSettled(clients.map((c) => c.close()));
      await supervisor.stop();
    }
  });
});
