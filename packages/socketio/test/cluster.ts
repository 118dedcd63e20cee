import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import {
  type Agent,
  AgentClient,
  type AgentClientOptions,
  AgentServer,
  type AgentServerOptions,
  defineAgent,
  type SessionStore,
} from '@agentsocket/core';
import { createShardedAdapter } from '@socket.io/redis-adapter';
import { createAdapter as createStreamsAdapter } from '@socket.io/redis-streams-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { afterEach } from 'vitest';
import { socketIoConnector } from '../src/index.js';
import { type SocketIoHub, type SocketIoHubOptions, type SocketIoServer, socketIoHub, socketIoServer } from '../src/index.server.js';

export const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** True when Redis answers; in CI an unreachable Redis is a failure, not a skip. */
export async function redisReachable(): Promise<boolean> {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch (error) {
    if (process.env['CI'] === 'true') throw new Error(`Redis at ${REDIS_URL} is unreachable in CI`, { cause: error });
    console.warn(`\n*** SKIPPING Socket.IO cluster tests: Redis at ${REDIS_URL} is unreachable ***\n`);
    return false;
  } finally {
    probe.disconnect();
  }
}

export type AdapterKind = 'sharded' | 'streams';

export interface ClusterNode {
  readonly io: Server;
  readonly hub: SocketIoHub;
  readonly agentServer: AgentServer;
  readonly sio: SocketIoServer;
  readonly url: string;
  /** Closes this node's Redis connections, as if Redis became unreachable from it; resolves the returned function to reconnect. */
  cutRedis(): () => Promise<void>;
}

export interface Cluster {
  readonly nodes: ClusterNode[];
  node(i: number): ClusterNode;
  /** A connected client on node `i`, in team namespace `ns`. */
  client(i: number, ns: string, options?: Partial<AgentClientOptions> & { token?: string }): Promise<AgentClient>;
  /** A client on node `i` that has not connected yet (for refusals). */
  unconnected(i: number, ns: string, options?: Partial<AgentClientOptions> & { token?: string }): AgentClient;
  /** A client that reconnects to whichever node `node()` names then, as behind a load balancer. */
  movable(node: () => number, ns: string, options?: Partial<AgentClientOptions>): Promise<AgentClient>;
}

export interface ClusterOptions {
  adapter?: AdapterKind;
  size?: number;
  server?: AgentServerOptions;
  hub?: SocketIoHubOptions;
  /** Each node's session store (all sharing Redis, so sessions resume on any node). */
  sessions?: (nodeId: string, prefix: string) => { store: SessionStore; close(): Promise<void> };
}

const serverAgent = (): Agent => defineAgent({ name: 'orchestrator', tools: {} });

/** Starts `size` Socket.IO servers (one AgentServer each) sharing Redis through an official adapter; stops them after the test. */
export function clusterFixture(): (options?: ClusterOptions) => Promise<Cluster> {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await Promise.resolve(c()).catch(() => {});
  });
  return async (options = {}) => {
    // Unique channels and streams per test: tests never see each other's traffic, and nothing is flushed.
    const prefix = `asp-test-${randomUUID()}`;
    const nodes: ClusterNode[] = [];
    for (let i = 0; i < (options.size ?? 3); i++) {
      const pub = new Redis(REDIS_URL);
      // No ready check on the subscriber: after a reconnect ioredis would send INFO in subscriber mode and fail.
      const sub = pub.duplicate({ enableReadyCheck: false });
      cleanups.push(() => {
        pub.disconnect();
        sub.disconnect();
      });
      const adapter =
        options.adapter === 'streams'
          ? createStreamsAdapter(pub, { streamName: prefix, channelPrefix: prefix, sessionKeyPrefix: `${prefix}:session:`, heartbeatInterval: 500, heartbeatTimeout: 2000 })
          : createShardedAdapter(pub, sub, { channelPrefix: prefix });
      const http = createServer();
      const io = new Server(http, { adapter, transports: ['websocket'], maxHttpBufferSize: 17 * 1024 * 1024, serveClient: false });
      const hub = socketIoHub(io, { nodeId: `node-${i}`, ...options.hub });
      const sessions = options.sessions?.(`node-${i}`, prefix);
      if (sessions) cleanups.push(() => sessions.close());
      const store = sessions?.store;
      const agentServer = new AgentServer(serverAgent(), {
        heartbeatMs: 60_000,
        nodeId: `node-${i}`,
        ...options.server,
        ...(store ? { sessions: store } : {}),
        teams: { ...options.server?.teams, hub },
      });
      const sio = await socketIoServer({ agentServer, io, namespace: /^\/[\w.-]+$/, teamNamespaces: true });
      await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
      const address = http.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      cleanups.push(async () => {
        agentServer.close();
        await sio.close();
        await hub.close();
        await io.close();
      });
      const cutRedis = () => {
        pub.disconnect();
        sub.disconnect();
        return async () => {
          await Promise.all([pub.connect(), sub.connect()]);
        };
      };
      nodes.push({ io, hub, agentServer, sio, url: `http://127.0.0.1:${port}`, cutRedis });
    }
    await serversSeeEachOther(nodes);
    const unconnected = (i: number, ns: string, opts: Partial<AgentClientOptions> & { token?: string } = {}) => {
      const node = nodes[i] ?? fail(`no node ${i}`);
      const { token, ...rest } = opts;
      const client = new AgentClient({
        connect: socketIoConnector({ url: node.url, namespace: ns, ...(token === undefined ? {} : { token }) }),
        reconnect: { initialMs: 5, maxMs: 50 },
        ...(token === undefined ? {} : { token }),
        ...rest,
      });
      cleanups.push(() => client.close());
      return client;
    };
    return {
      nodes,
      node: (i) => nodes[i] ?? fail(`no node ${i}`),
      unconnected,
      async movable(pick, ns, opts = {}) {
        const client = new AgentClient({
          connect: (signal) => socketIoConnector({ url: (nodes[pick()] ?? fail('no node')).url, namespace: ns })(signal),
          reconnect: { initialMs: 5, maxMs: 50 },
          ...opts,
        });
        cleanups.push(() => client.close());
        await client.connect();
        return client;
      },
      async client(i, ns, opts = {}) {
        const client = unconnected(i, ns, opts);
        await client.connect();
        return client;
      },
    };
  };
}

/** Waits until every node's control namespace counts all nodes (subscriptions and heartbeats are asynchronous). */
async function serversSeeEachOther(nodes: ClusterNode[]): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (const node of nodes) {
    const control = node.io.of('/asp-hub');
    while ((await control.adapter.serverCount()) < nodes.length) {
      if (Date.now() > deadline) throw new Error('the Socket.IO servers did not find each other through Redis');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/** Resolves once `check` holds, asking again after every event-loop turn; fails after `ms`. */
export async function eventually(check: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function fail(message: string): never {
  throw new Error(message);
}
