import { execFileSync } from 'node:child_process';
import { AgentClient, type AgentClientOptions, type TeamMessage } from '@agentsocket/core';
import { afterEach } from 'vitest';
import type { Cluster } from '../src/cluster.js';
import { nginxBinary } from '../src/nginx.js';
import { pingRedis } from '../src/redis-probe.js';

export const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

function hasRedisServer(): boolean {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * What the cluster tests need: nginx, a Redis at REDIS_URL and the redis-server binary. In CI
 * (CI=true) they must run, so a missing piece fails them; elsewhere they skip, loudly.
 */
export async function clusterSkip(): Promise<boolean> {
  const missing: string[] = [];
  if (!nginxBinary()) missing.push('nginx (apt-get install -y nginx)');
  if (!(await pingRedis(REDIS_URL))) missing.push(`a Redis at ${REDIS_URL}`);
  if (!hasRedisServer()) missing.push('redis-server (apt-get install -y redis-server)');
  if (missing.length === 0) return false;
  if (process.env['CI'] === 'true') return false; // run and fail: CI must never skip these
  console.warn(`\n!!! SKIPPING the cluster tests: missing ${missing.join(', ')}. CI runs them. !!!\n`);
  return true;
}

/** Clients and clusters a test opened, closed after it whether it passed or not. */
export function cleanup(): { client(options: AgentClientOptions): Promise<AgentClient>; cluster<C extends Cluster>(c: C): C } {
  const clients: AgentClient[] = [];
  const clusters: Cluster[] = [];
  afterEach(async () => {
    await Promise.allSettled(clients.splice(0).map((c) => c.close()));
    await Promise.allSettled(clusters.splice(0).map((c) => c.stop()));
  });
  return {
    async client(options) {
      const client = new AgentClient({ reconnect: { initialMs: 20, maxMs: 250 }, ...options });
      clients.push(client);
      await client.connect();
      return client;
    },
    cluster(c) {
      clusters.push(c);
      return c;
    },
  };
}

/** Every team message a client receives, in order. */
export function inbox(client: AgentClient): TeamMessage[] {
  const got: TeamMessage[] = [];
  client.on('message', (m) => got.push(m));
  return got;
}

/** The node that serves this client's connection right now. */
export async function nodeOf(client: AgentClient): Promise<string> {
  const { value } = await client.invoke('whoami').result;
  if (typeof value === 'object' && value !== null && 'node' in value && typeof value.node === 'string') return value.node;
  throw new Error(`whoami answered ${JSON.stringify(value)}`);
}

/** 0..n-1 */
export function range(n: number, f: (i: number) => number = (i) => i): number[] {
  return Array.from({ length: n }, (_, i) => f(i));
}

/** Tools a worker agent serves to its team: `crunch` streams i*i for i < n. */
export interface WorkerRuns {
  /** Runs started. */
  crunch: number;
  /** Runs still going. */
  active: number;
  /** Runs stopped by an INTERRUPT. */
  interrupted: number;
}

export function workerTools(runs: WorkerRuns = { crunch: 0, active: 0, interrupted: 0 }): AgentClientOptions['tools'] {
  return {
    crunch: {
      async *handler(args, ctx) {
        runs.crunch++;
        runs.active++;
        try {
          const n = Number(args['n']);
          const delayMs = Number(args['delayMs'] ?? 0);
          for (let i = 0; i < n; i++) {
            ctx.signal.throwIfAborted();
            if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
            yield i * i;
          }
          return { done: n };
        } finally {
          // An interrupted generator may be closed with return(), so count here, not in a catch.
          if (ctx.signal.aborted) runs.interrupted++;
          runs.active--;
        }
      },
    },
  };
}
