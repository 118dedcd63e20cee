import { randomBytes } from 'node:crypto';
import type { AgentServerOptions } from '@agentsocket/core';
import type { RedisOptions } from 'ioredis';
import { RedisConnection } from './connection.js';
import { RedisDedupStore } from './dedup-store.js';
import { RedisHub } from './hub.js';
import { RedisSessionStore } from './session-store.js';

export interface RedisClusterInit {
  /** @default 'redis://127.0.0.1:6379' */
  url?: string;
  /** ioredis options applied over this package's (see docs/transports/redis.md). */
  redis?: RedisOptions;
  /** Prefix of every key and channel; nodes of one cluster share it. @default 'asp:' */
  prefix?: string;
  /** This node's name, used as session owner and in hub entries. @default a random id */
  nodeId?: string;
  /** How long operations wait for an unreachable Redis before failing with 503. @default 1000 */
  offlineWaitMs?: number;
  /**
   * Session keys' TTL after the last write, and how long an agent id stays bound to its principal
   * after its node died (RedisHubInit.agentIdHoldMs): match AgentServer's sessionTtlMs. @default 60000
   */
  sessionTtlMs?: number;
  /** @default 1000 */
  heartbeatMs?: number;
  /** @default 3 × heartbeatMs */
  nodeTtlMs?: number;
  /** How long a node's heartbeat must be expired before its members are removed (RedisHubInit.reapAfterMs). @default 3 × nodeTtlMs */
  reapAfterMs?: number;
  /**
   * How long an exactly-once claim outlives its holder when nothing says the holder died. A claim
   * of a node whose hub heartbeat expired (`nodeTtlMs`) is taken over at once. @default 10000
   */
  dedupLeaseMs?: number;
  /** Background failures: connection errors, journal writes refused, outcomes not stored. */
  onError?: (error: Error) => void;
}

export interface RedisCluster {
  readonly nodeId: string;
  readonly hub: RedisHub;
  readonly sessions: RedisSessionStore;
  readonly dedup: RedisDedupStore;
  /** The command connection the three share (the hub has a second one for pub/sub). */
  readonly connection: RedisConnection;
  /** Spread into AgentServer's options: `new AgentServer(agent, { ...cluster.serverOptions })`. */
  readonly serverOptions: Required<Pick<AgentServerOptions, 'nodeId' | 'sessions' | 'dedup'>> & { teams: { hub: RedisHub } };
  /** Resolves once connected and registered; rejects with 503 after `timeoutMs`. */
  ready(timeoutMs?: number): Promise<void>;
  /** Leaves politely; `abrupt` drops the connections as a crashed node would (failover drills). */
  close(options?: { abrupt?: boolean }): Promise<void>;
}

/** Everything one node needs to join a cluster on one Redis: hub, session store and dedup store. */
export function redisCluster(init: RedisClusterInit = {}): RedisCluster {
  const nodeId = init.nodeId ?? randomBytes(6).toString('hex');
  const prefix = init.prefix ?? 'asp:';
  const connection = new RedisConnection({
    ...(init.url === undefined ? {} : { url: init.url }),
    ...(init.redis === undefined ? {} : { options: init.redis }),
    ...(init.offlineWaitMs === undefined ? {} : { offlineWaitMs: init.offlineWaitMs }),
    ...(init.onError === undefined ? {} : { onError: init.onError }),
  });
  const onError = init.onError;
  const sessions = new RedisSessionStore({
    connection,
    prefix,
    ...(init.sessionTtlMs === undefined ? {} : { ttlMs: init.sessionTtlMs }),
    ...(onError === undefined ? {} : { onError }),
  });
  const hub = new RedisHub({
    connection,
    prefix,
    nodeId,
    onHandoff: (sessionId) => sessions.flushSession(sessionId),
    ...(init.sessionTtlMs === undefined ? {} : { agentIdHoldMs: init.sessionTtlMs }),
    ...(init.heartbeatMs === undefined ? {} : { heartbeatMs: init.heartbeatMs }),
    ...(init.nodeTtlMs === undefined ? {} : { nodeTtlMs: init.nodeTtlMs }),
    ...(init.reapAfterMs === undefined ? {} : { reapAfterMs: init.reapAfterMs }),
    ...(onError === undefined ? {} : { onError }),
  });
  const dedup = new RedisDedupStore({
    connection,
    prefix,
    holder: hub.instance,
    ...(init.dedupLeaseMs === undefined ? {} : { leaseMs: init.dedupLeaseMs }),
    ...(onError === undefined ? {} : { onError }),
  });
  return {
    nodeId,
    hub,
    sessions,
    dedup,
    connection,
    serverOptions: { nodeId, sessions, dedup, teams: { hub } },
    ready: (timeoutMs) => hub.ready(timeoutMs ?? 10_000),
    async close(options = {}) {
      // A crash says nothing more: cut Redis first, so nothing below reaches it.
      if (options.abrupt) connection.abandon();
      await hub.close(options);
      await sessions.close();
      await dedup.close();
      if (!options.abrupt) await connection.close();
    },
  };
}
