import {
  type Agent,
  AgentClient,
  type AgentClientOptions,
  AgentServer,
  type AgentServerOptions,
  CloseCode,
  type Connector,
  type MemoryConnector,
  memoryConnector,
} from '@agentsocket/core';
import { afterEach } from 'vitest';
import { type RedisCluster, type RedisClusterInit, redisCluster } from '../src/index.js';
import { dropPrefix, REDIS_URL, uniquePrefix } from './redis-env.js';

/** One cluster node inside the test process: its own Redis connections, server and connector. */
export interface TestNode {
  readonly name: string;
  readonly redis: RedisCluster;
  readonly server: AgentServer;
  readonly connect: MemoryConnector;
  alive: boolean;
  /** Dies without a goodbye: Redis connections dropped, then every connection cut (as SIGKILL would). */
  kill(): Promise<void>;
}

export interface TestCluster {
  readonly prefix: string;
  readonly nodes: TestNode[];
  /** A load balancer: new connections go to node `i` while it lives, else to the next live one. */
  via(i: number): Connector;
  /** A client connected through via(i). */
  client(i: number, options?: Partial<AgentClientOptions>): Promise<AgentClient>;
}

export interface ClusterSetup {
  nodes?: number;
  agent: () => Agent;
  server?: AgentServerOptions;
  redis?: Partial<RedisClusterInit>;
  /** Settings of node `i` only (e.g. its own Redis URL), over `redis`. */
  node?: (i: number) => Partial<RedisClusterInit>;
  url?: string;
}

/**
 * Starts clusters for one test; afterEach stops them and deletes their keys. Node TTLs are
 * generous so a busy CI machine never takes a live node for dead; tests about dead nodes set less.
 */
export function clusters(): (setup: ClusterSetup) => Promise<TestCluster> {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
  });
  return async (setup) => {
    const prefix = uniquePrefix();
    const url = setup.url ?? REDIS_URL;
    const nodes: TestNode[] = [];
    const clients: AgentClient[] = [];
    for (let i = 0; i < (setup.nodes ?? 3); i++) {
      const name = `node-${String.fromCharCode(97 + i)}`;
      const redis = redisCluster({ url, prefix, nodeId: name, heartbeatMs: 200, nodeTtlMs: 2000, ...setup.redis, ...setup.node?.(i) });
      await redis.ready();
      const options = setup.server ?? {};
      const server = new AgentServer(setup.agent(), {
        heartbeatMs: 60_000,
        ...options,
        ...redis.serverOptions,
        teams: { ...options.teams, hub: redis.hub },
      });
      const connect = memoryConnector(server);
      const node: TestNode = {
        name,
        redis,
        server,
        connect,
        alive: true,
        async kill() {
          node.alive = false;
          await redis.close({ abrupt: true });
          await Promise.all([...connect.serverEnds].map((t) => t.close(CloseCode.GOING_AWAY, 'node died')));
        },
      };
      nodes.push(node);
    }
    cleanups.push(async () => {
      for (const c of clients) await c.close();
      for (const n of nodes) {
        n.server.close();
        await n.redis.close({ abrupt: !n.alive });
      }
      await dropPrefix(prefix, url);
    });
    const via = (i: number): Connector => (signal) => {
      for (let k = 0; k < nodes.length; k++) {
        const n = nodes[(i + k) % nodes.length];
        if (n?.alive) return n.connect(signal);
      }
      return Promise.reject(new Error('no live node'));
    };
    return {
      prefix,
      nodes,
      via,
      async client(i, options = {}) {
        const client = new AgentClient({ connect: via(i), reconnect: { initialMs: 5, maxMs: 50 }, ...options });
        clients.push(client);
        await client.connect();
        return client;
      },
    };
  };
}

/** Resolves when `predicate` holds, checking every few ms; fails after `ms`. */
export async function until(predicate: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
