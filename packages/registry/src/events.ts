import { isRecord } from '@agentsocket/core/internal';
import { decodeStats, type NodeStats } from './node-stats.js';
import { type AgentRecord, recordFrom } from './record.js';

/**
 * What subscribers receive (docs/registry.md, "Presence events"). `agent` is the record as it
 * stands after the change (for `left` and `failed`: as it was last stored).
 */
export type PresenceEvent =
  | { type: 'joined'; agent: AgentRecord; at: number }
  /** `closed`: its session ended. `moved`: its node handed the session over (it joins again elsewhere). */
  | { type: 'left'; agent: AgentRecord; at: number; reason: 'closed' | 'moved' }
  /** Its node stopped heartbeating (crashed, killed, cut off): `agent.lastSeen` is the node's last beat. */
  | { type: 'failed'; agent: AgentRecord; at: number }
  /** Status, load, calls in flight, tools or rooms changed. */
  | { type: 'status'; agent: AgentRecord; at: number }
  /** A node's heartbeat with what it measured since the previous one (published each beat). */
  | { type: 'node'; node: string; stats: NodeStats; at: number }
  /**
   * Local only: the subscription's connection to Redis was lost and is back; events in between may
   * be missed, so re-read what you keep (`find`, `list`).
   */
  | { type: 'resync'; at: number };

export type PresenceEventType = PresenceEvent['type'];

/** The wire form on the events channel: the record is embedded as stored (JSON). */
export function encodeEvent(type: 'joined' | 'status', stored: string, at: number): string;
export function encodeEvent(type: 'left', stored: string, at: number, reason: 'closed' | 'moved'): string;
export function encodeEvent(type: 'joined' | 'status' | 'left', stored: string, at: number, reason?: string): string {
  return `{"type":"${type}","at":${at}${reason === undefined ? '' : `,"reason":"${reason}"`},"agent":${stored}}`;
}

/** Decodes a published event; undefined for a malformed one (reported, never thrown at subscribers). */
export function decodeEvent(text: string): PresenceEvent | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(v) || typeof v['at'] !== 'number') return undefined;
  const at = v['at'];
  if (v['type'] === 'node') {
    const stats = decodeStats(JSON.stringify(v['stats']));
    return typeof v['node'] === 'string' && stats ? { type: 'node', node: v['node'], stats, at } : undefined;
  }
  const lastSeen = typeof v['lastSeen'] === 'number' ? v['lastSeen'] : undefined;
  const agent = recordFrom(v['agent'], lastSeen);
  if (!agent) return undefined;
  switch (v['type']) {
    case 'joined':
      return { type: 'joined', agent, at };
    case 'status':
      return { type: 'status', agent, at };
    case 'failed':
      // A failed agent was last seen at its node's last beat, even if its record changed later.
      if (lastSeen !== undefined) agent.lastSeen = lastSeen;
      return { type: 'failed', agent, at };
    case 'left': {
      const reason = v['reason'] === 'moved' ? 'moved' : 'closed';
      return { type: 'left', agent, at, reason };
    }
    default:
      return undefined;
  }
}
