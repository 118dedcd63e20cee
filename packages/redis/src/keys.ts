/**
 * Every key this package writes, in one place. Namespace names cannot contain ':' (core's
 * isNamespaceName), so `…:${ns}:${rest}` splits unambiguously whatever `rest` holds.
 */
export class Keys {
  readonly prefix: string;

  constructor(prefix: string) {
    this.prefix = prefix;
  }

  dedup(key: string): string {
    return `${this.prefix}dedup:${key}`;
  }

  /** Hash: record, owner, nextSq, lastReceived. */
  session(id: string): string {
    return `${this.prefix}s:${id}`;
  }

  /** Sorted set: unacknowledged reliable frames scored by sq. */
  sessionFrames(id: string): string {
    return `${this.prefix}s:${id}:f`;
  }

  /** Hash: request id → INVOKE frame not yet ended. */
  sessionIncoming(id: string): string {
    return `${this.prefix}s:${id}:i`;
  }

  /** Sorted set: hub instance → expiry time of its heartbeat (Redis clock, ms). */
  nodes(): string {
    return `${this.prefix}h:nodes`;
  }

  /** Set: "ns\nagentId" of every member an instance registered. */
  nodeMembers(instance: string): string {
    return `${this.prefix}h:node:${instance}`;
  }

  /** Hash: agentId → "instance\nsessionId" for one namespace. */
  members(ns: string): string {
    return `${this.prefix}h:m:${ns}`;
  }

  room(ns: string, room: string): string {
    return `${this.prefix}h:r:${ns}:${room}`;
  }

  /** Set: rooms one agent is in. */
  agentRooms(ns: string, agentId: string): string {
    return `${this.prefix}h:ar:${ns}:${agentId}`;
  }

  /** String: the principal id an agent id is bound to (hub-scripts.ts builds the same name in Lua). */
  agentOwner(ns: string, agentId: string): string {
    return `${this.prefix}h:o:${ns}:${agentId}`;
  }

  /** Pub/sub channel of one hub instance. */
  channel(instance: string): string {
    return `${this.prefix}h:ch:${instance}`;
  }
}
