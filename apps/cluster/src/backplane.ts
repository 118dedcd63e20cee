import type { DedupStore, SessionStore } from '@agentsocket/core';
import { type RedisConnection, redisCluster } from '@agentsocket/redis';
import { AgentRegistry, RegistryHub } from '@agentsocket/registry';

/**
 * What a node shares with the other nodes: team fan-out, session/replay state, dedup, and the
 * agent registry (the hub registers every agent it attaches).
 */
export interface Backplane {
  hub: RegistryHub;
  registry: AgentRegistry;
  sessions: SessionStore;
  dedup: DedupStore;
  /** The command connection (the dashboard reads queue figures with it). */
  connection: RedisConnection;
  close(): Promise<void>;
}

export interface BackplaneOptions {
  redisUrl: string;
  prefix: string;
  nodeId: string;
  /** Match AgentServer's sessionTtlMs: a dead node's sessions stay resumable this long. */
  sessionTtlMs: number;
  /** How often the node tells the others it is alive; 3 missed beats and its members are dead. */
  heartbeatMs: number;
  /** Redis connection errors and refused background writes, for the log. */
  onError: (error: Error) => void;
}

/** Joins the cluster on Redis; resolves once connected and registered (rejects after 10 s). */
export async function openBackplane(options: BackplaneOptions): Promise<Backplane> {
  const cluster = redisCluster({
    url: options.redisUrl,
    prefix: options.prefix,
    nodeId: options.nodeId,
    sessionTtlMs: options.sessionTtlMs,
    heartbeatMs: options.heartbeatMs,
    onError: options.onError,
  });
  try {
    await cluster.ready(10_000);
  } catch (error) {
    await cluster.close({ abrupt: true });
    throw error;
  }
  const registry = new AgentRegistry({
    connection: cluster.connection,
    prefix: options.prefix,
    node: cluster.hub.instance,
    heartbeatMs: options.heartbeatMs,
    onError: options.onError,
  });
  const hub = new RegistryHub({ hub: cluster.hub, registry, onError: options.onError });
  return {
    hub,
    registry,
    sessions: cluster.sessions,
    dedup: cluster.dedup,
    connection: cluster.connection,
    close: async () => {
      await registry.close();
      await cluster.close();
    },
  };
}
