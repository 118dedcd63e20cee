import { isRecord } from '@agentsocket/core/internal';

/** `busy` while the agent serves calls (or says so itself), `idle` otherwise. */
export type AgentStatus = 'idle' | 'busy';

export const STATUSES: readonly AgentStatus[] = ['idle', 'busy'];

/** One agent as the registry knows it. Times are milliseconds since the epoch. */
export interface AgentRecord {
  /** Its namespace (team), e.g. `/team-alpha`. */
  ns: string;
  agentId: string;
  /** The node (hub instance) holding its session. */
  node: string;
  sessionId: string;
  /** Names of the tools it serves: its capabilities. */
  tools: string[];
  /** Rooms it is in, sorted. */
  rooms: string[];
  status: AgentStatus;
  /** Its own measure of load when it reported one, else `inFlight`. Lower is less loaded. */
  load: number;
  /** Calls routed to it through the hub that have not ended yet (kept by its node). */
  inFlight: number;
  /** True once the agent reported its status or load itself; the node then stops deriving them. */
  reported: boolean;
  /** When it joined. */
  since: number;
  /** When its record last changed. */
  updatedAt: number;
  /** When it was last known alive: its node's last heartbeat (or `updatedAt`, if later). */
  lastSeen: number;
}

/** What is stored in Redis: `lastSeen` is filled in from the node's heartbeat when read. */
export type StoredRecord = Omit<AgentRecord, 'lastSeen'>;

/** Decodes a stored record; undefined for anything that is not one (a foreign or damaged value). */
export function decodeRecord(text: string, lastSeen?: number): AgentRecord | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  return recordFrom(v, lastSeen);
}

/** Checks a parsed value field by field (it comes from Redis, which any client may write). */
export function recordFrom(v: unknown, lastSeen?: number): AgentRecord | undefined {
  if (!isRecord(v)) return undefined;
  const { ns, agentId, node, sessionId, tools, rooms, status, load, inFlight, reported, since, updatedAt } = v;
  if (typeof ns !== 'string' || typeof agentId !== 'string' || typeof node !== 'string' || typeof sessionId !== 'string') return undefined;
  if (!isStringArray(tools) || !isStringArray(rooms)) return undefined;
  if (status !== 'idle' && status !== 'busy') return undefined;
  if (!isCount(load) || !isCount(inFlight) || typeof reported !== 'boolean' || !isCount(since) || !isCount(updatedAt)) return undefined;
  const seen = typeof lastSeen === 'number' ? Math.max(lastSeen, updatedAt) : updatedAt;
  return { ns, agentId, node, sessionId, tools, rooms, status, load, inFlight, reported, since, updatedAt, lastSeen: seen };
}

export function encodeRecord(r: StoredRecord): string {
  const { ns, agentId, node, sessionId, tools, rooms, status, load, inFlight, reported, since, updatedAt } = r;
  return JSON.stringify({ ns, agentId, node, sessionId, tools, rooms, status, load, inFlight, reported, since, updatedAt });
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}
