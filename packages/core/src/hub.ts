import type { Call, InvokeOptions } from './call.js';
import { ProtocolError } from './errors.js';
import * as ErrorCode from './error-code.js';
import type { Delivery } from './messages.js';
import { DEFAULT_AGENT_ID_HOLD_MS } from './defaults.js';
import type { ConnectionInfo, Principal, Transport } from './transport.js';

/** A message between agents of a team, as delivered in a MESSAGE frame. */
export interface TeamMessage {
  /** Globally unique message id (ULID); receivers drop repeats. */
  id: string;
  event: string;
  data: unknown;
  /** Agent id of the sender, set by the server (never trusted from the sender). */
  from: string;
  /** Set when the message was sent to a room. */
  room?: string;
  delivery: Delivery;
}

/** Who a message goes to, inside one namespace. */
export type Target = { to: string } | { room: string } | { all: true };

/** One connected agent as a hub sees it. */
export interface HubMember {
  /** The session behind this member; a resumed session takes over its own entry. */
  readonly sessionId: string;
  readonly ns: string;
  readonly agentId: string;
  readonly principal: Principal;
  /** Sends a MESSAGE frame to this agent. */
  deliver(message: TeamMessage): void;
  /** Invokes a tool this agent serves. */
  invoke<T = unknown>(tool: string, args: unknown, options?: InvokeOptions): Call<T>;
  /**
   * May this member take its agent id from `holder` (a principal id) that still holds it? A hub
   * asks only when the holders differ; without this method, it refuses (409).
   */
  mayClaimFrom?(holder: string): boolean | Promise<boolean>;
}

export interface DetachOptions {
  /**
   * The session may still be resumed elsewhere (its node hands it over): keep its agent id bound
   * to its principal for the hub's hold time, so no other principal takes it meanwhile.
   */
  hold?: boolean;
}

/** The connection that carries a member's session now (it changes when the session resumes). */
export interface HubConnection {
  /** Frames a hub encodes itself (an at-most-once MESSAGE for many members) go out through its send(), like the session's own. */
  readonly transport: Transport;
  /** What the transport said about the connection when it was accepted (`id` names it, for a hub that needs the transport's own connection). */
  readonly info: ConnectionInfo;
  /** The codec the session speaks, for hubs that encode frames themselves. */
  readonly codec: string;
}

/**
 * Membership, rooms, fan-out and routed invokes for agent teams. The server asks its hub; the
 * in-memory hub serves one process, @agentsocket/redis spans a cluster, and the Socket.IO
 * transport maps the same calls onto Socket.IO's rooms and adapter.
 */
export interface Hub {
  /**
   * Adds a member; rejects with 409 when another member of the namespace has its agent id, unless
   * that member is the same session (resumed elsewhere), which it replaces. Also 409 when the
   * agent id is still bound to another principal (a held session, see DetachOptions) and
   * `member.mayClaimFrom` does not allow the takeover.
   */
  attach(member: HubMember): Promise<void>;
  detach(member: HubMember, options?: DetachOptions): Promise<void>;
  join(member: HubMember, room: string): Promise<void>;
  leave(member: HubMember, room: string): Promise<void>;
  rooms(member: HubMember): Promise<string[]>;
  /** Agent ids in a room, or in the whole namespace. */
  members(ns: string, room?: string): Promise<string[]>;
  /** Delivers to the target except `exceptAgent`; resolves with how many agents it was handed to. */
  send(ns: string, target: Target, message: TeamMessage, exceptAgent?: string): Promise<number>;
  /** Invokes a tool on agent `to` of namespace `ns`, wherever it is connected. */
  invoke<T = unknown>(ns: string, to: string, tool: string, args: unknown, options?: InvokeOptions): Call<T>;
  /**
   * A connection took over an attached member's session, after the HELLO reply: once for a new
   * session and again on every resume. For hubs that map members onto the transport's own
   * connections (Socket.IO rooms); others leave it out.
   */
  connected?(member: HubMember, connection: HubConnection): void;
  close?(): Promise<void>;
}

interface Namespace {
  members: Map<string, HubMember>;
  rooms: Map<string, Set<string>>;
}

export interface MemoryHubOptions {
  /** How long a held agent id stays bound to its principal after a detach with `hold`, ms. @default 60000 */
  agentIdHoldMs?: number;
}

/** The hub of one process. */
export class MemoryHub implements Hub {
  private readonly namespaces = new Map<string, Namespace>();
  /** "ns\nagentId" → principal id, for agent ids held after a detach with `hold`. */
  private readonly held = new Map<string, { principal: string; timer: ReturnType<typeof setTimeout> }>();
  private readonly holdMs: number;

  constructor(options: MemoryHubOptions = {}) {
    this.holdMs = options.agentIdHoldMs ?? DEFAULT_AGENT_ID_HOLD_MS;
  }

  private ns(name: string): Namespace {
    let ns = this.namespaces.get(name);
    if (!ns) {
      ns = { members: new Map(), rooms: new Map() };
      this.namespaces.set(name, ns);
    }
    return ns;
  }

  async attach(member: HubMember): Promise<void> {
    const key = `${member.ns}\n${member.agentId}`;
    const held = this.held.get(key);
    if (held && held.principal !== member.principal.id && !(await member.mayClaimFrom?.(held.principal))) {
      throw new ProtocolError(ErrorCode.CONFLICT, `agent id "${member.agentId}" is held by another principal's session in ${member.ns}`);
    }
    const ns = this.ns(member.ns);
    const existing = ns.members.get(member.agentId);
    if (existing && existing !== member && existing.sessionId !== member.sessionId) {
      throw new ProtocolError(ErrorCode.CONFLICT, `agent id "${member.agentId}" is already connected in ${member.ns}`);
    }
    if (held) clearTimeout(held.timer);
    this.held.delete(key);
    ns.members.set(member.agentId, member);
  }

  async detach(member: HubMember, options: DetachOptions = {}): Promise<void> {
    const ns = this.namespaces.get(member.ns);
    if (!ns || ns.members.get(member.agentId) !== member) return;
    if (options.hold && this.holdMs > 0) {
      const key = `${member.ns}\n${member.agentId}`;
      const timer = setTimeout(() => this.held.delete(key), this.holdMs);
      timer.unref?.();
      this.held.set(key, { principal: member.principal.id, timer });
    }
    ns.members.delete(member.agentId);
    for (const [room, ids] of ns.rooms) {
      ids.delete(member.agentId);
      if (ids.size === 0) ns.rooms.delete(room);
    }
    if (ns.members.size === 0) this.namespaces.delete(member.ns);
  }

  async join(member: HubMember, room: string): Promise<void> {
    const ns = this.ns(member.ns);
    let ids = ns.rooms.get(room);
    if (!ids) {
      ids = new Set();
      ns.rooms.set(room, ids);
    }
    ids.add(member.agentId);
  }

  async leave(member: HubMember, room: string): Promise<void> {
    const ids = this.namespaces.get(member.ns)?.rooms.get(room);
    ids?.delete(member.agentId);
    if (ids?.size === 0) this.namespaces.get(member.ns)?.rooms.delete(room);
  }

  async rooms(member: HubMember): Promise<string[]> {
    const ns = this.namespaces.get(member.ns);
    if (!ns) return [];
    return [...ns.rooms].filter(([, ids]) => ids.has(member.agentId)).map(([room]) => room);
  }

  async members(nsName: string, room?: string): Promise<string[]> {
    const ns = this.namespaces.get(nsName);
    if (!ns) return [];
    return room === undefined ? [...ns.members.keys()] : [...(ns.rooms.get(room) ?? [])];
  }

  async send(nsName: string, target: Target, message: TeamMessage, exceptAgent?: string): Promise<number> {
    const ns = this.namespaces.get(nsName);
    if (!ns) return 0;
    const ids = 'to' in target ? [target.to] : 'room' in target ? [...(ns.rooms.get(target.room) ?? [])] : [...ns.members.keys()];
    let n = 0;
    for (const id of ids) {
      if (id === exceptAgent) continue;
      const m = ns.members.get(id);
      if (!m) continue;
      m.deliver(message);
      n++;
    }
    return n;
  }

  invoke<T = unknown>(nsName: string, to: string, tool: string, args: unknown, options?: InvokeOptions): Call<T> {
    const member = this.namespaces.get(nsName)?.members.get(to);
    if (!member) throw new ProtocolError(ErrorCode.AGENT_NOT_FOUND, `no agent "${to}" in ${nsName}`);
    return member.invoke<T>(tool, args, options);
  }
}

export function assertRoomName(room: unknown): string {
  if (typeof room !== 'string' || !/^[^\s]{1,128}$/.test(room)) {
    throw new ProtocolError(ErrorCode.BAD_FRAME, 'room must be 1-128 non-space characters');
  }
  return room;
}

