import { randomUUID } from 'node:crypto';
import { AgentClient, type Delivery } from '@agentsocket/core';
import { socketIoConnector } from '../src/index.js';
import { median, percentile, pool, startRemote, until } from '@agentsocket/bench-kit';
import { SERVER } from './variants.js';

export interface BroadcastOptions {
  rounds: number;
  agents: number;
  nodes: number;
  /** Broadcasts per round and delivery mode. */
  perRound: number;
  redisUrl: string;
}

export interface BroadcastResult {
  agents: number;
  nodes: number;
  /** Per delivery mode: p50 and p99 delivery latency (ms) of each round, and their medians. */
  modes: Record<'at-most-once' | 'at-least-once', { p50: number[]; p99: number[]; p50Median: number; p99Median: number }>;
}

const MODES = ['at-most-once', 'at-least-once'] as const satisfies readonly Delivery[];

/**
 * (b) One agent broadcasts to `agents` agents spread round-robin over `nodes` Socket.IO servers
 * (child processes) sharing Redis through the sharded adapter. Latency is from the call to
 * broadcast() to each receiver's 'message' event; sender and receivers share this process's clock.
 */
export async function broadcastBench(options: BroadcastOptions): Promise<BroadcastResult> {
  const prefix = `asp-bench-${randomUUID()}`;
  const servers = await Promise.all(
    Array.from({ length: options.nodes }, (_, i) => startRemote(SERVER, 'cluster-node', [options.redisUrl, prefix, `node-${i}`])),
  );
  const clients: AgentClient[] = [];
  const connect = async (i: number, name: string) => {
    const server = servers[i % servers.length];
    if (!server) throw new Error('no server');
    const client = new AgentClient({ connect: socketIoConnector({ url: server.url, namespace: '/bench' }), name, reconnect: false });
    clients.push(client);
    await client.connect();
    return client;
  };
  try {
    let received = 0;
    let latencies: number[] = [];
    await pool(
      Array.from({ length: options.agents }, (_, i) => i),
      32,
      async (i) => {
        const client = await connect(i, `agent-${i}`);
        client.on('message', (m) => {
          const data: unknown = m.data;
          if (typeof data === 'object' && data !== null && 't' in data && typeof data.t === 'number') {
            latencies.push(performance.now() - data.t);
            received++;
          }
        });
      },
    );
    const sender = await connect(0, 'sender');
    const modes: Record<(typeof MODES)[number], { p50: number[]; p99: number[] }> = {
      'at-most-once': { p50: [], p99: [] },
      'at-least-once': { p50: [], p99: [] },
    };
    const once = async (delivery: Delivery) => {
      received = 0;
      const reached = await sender.broadcast('tick', { t: performance.now() }, { delivery });
      if (reached !== options.agents) throw new Error(`broadcast reached ${reached} agents, not ${options.agents}`);
      await until(() => received === options.agents, `${options.agents} deliveries`);
    };
    for (const delivery of MODES) await once(delivery); // warm-up
    for (let r = 0; r < options.rounds; r++) {
      for (const delivery of r % 2 === 0 ? MODES : [...MODES].reverse()) {
        latencies = [];
        for (let k = 0; k < options.perRound; k++) await once(delivery);
        modes[delivery].p50.push(percentile(latencies, 50));
        modes[delivery].p99.push(percentile(latencies, 99));
      }
    }
    const summary = (d: (typeof MODES)[number]) => ({ ...modes[d], p50Median: median(modes[d].p50), p99Median: median(modes[d].p99) });
    return { agents: options.agents, nodes: options.nodes, modes: { 'at-most-once': summary('at-most-once'), 'at-least-once': summary('at-least-once') } };
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(servers.map((s) => s.stop()));
  }
}
