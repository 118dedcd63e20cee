import { type DedupStore, type Hub, MemoryDedupStore, MemoryHub, MemorySessionStore, type SessionStore } from '@agentsocket/core';

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
}

/** Opens the shared state. Placeholder until @agentsocket/redis lands: one process only. */
export async function openBackplane(_options: BackplaneOptions): Promise<Backplane> {
  return {
    hub: new MemoryHub(),
    sessions: new MemorySessionStore(),
    dedup: new MemoryDedupStore(),
    close: async () => {},
  };
}
