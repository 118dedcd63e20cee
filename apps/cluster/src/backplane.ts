import type { DedupStore, Hub, SessionStore } from '@agentsocket/core';
import { redisCluster } from '@agentsocket/redis';

/** What a node shares with the other nodes: team fan-out, session/replay state and dedup. */
export interface Backplane {
  hub: Hub;
  sessions: SessionStore;
  dedup: DedupStore;
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
  return { hub: cluster.hub, sessions: cluster.sessions, dedup: cluster.dedup, close: () => cluster.close() };
}
