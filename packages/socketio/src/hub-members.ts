import { ErrorCode, type HubMember, ProtocolError, type Target, type Transport } from '@agentsocket/core';
import type { Socket } from 'socket.io';

/** Room names the hub keeps for itself: every member, and one room per agent. */
export const RESERVED_ROOM_PREFIX = 'asp:';
export const MEMBERS_ROOM = 'asp:members';
export const agentRoom = (agentId: string): string => `asp:agent:${agentId}`;

/**
 * A member whose session lives on this node, and the connection carrying it now (none between a
 * drop and the resume): its socket, for rooms, and its transport and codec, for frames the hub sends.
 */
export interface Local {
  readonly member: HubMember;
  readonly rooms: Set<string>;
  socket: Socket | undefined;
  transport: Transport | undefined;
  codec: string;
}

/** The members of this node, by session and by namespace and agent id. */
export class LocalMembers {
  private readonly sessions = new Map<string, Local>();
  private readonly agents = new Map<string, Map<string, Local>>();

  get(ns: string, agentId: string): Local | undefined {
    return this.agents.get(ns)?.get(agentId);
  }

  /** This exact member's entry, if it is still one here. */
  of(member: HubMember): Local | undefined {
    const local = this.sessions.get(member.sessionId);
    return local?.member === member ? local : undefined;
  }

  /** As of(), for calls that need the member: 410 when it is gone (taken over elsewhere). */
  own(member: HubMember): Local {
    const local = this.of(member);
    if (!local) throw new ProtocolError(ErrorCode.SESSION_EXPIRED, 'this session is no longer a member here');
    return local;
  }

  /** 409 when another session holds the member's agent id here. */
  refuseTwin(member: HubMember): void {
    const existing = this.get(member.ns, member.agentId);
    if (existing && existing.member !== member && existing.member.sessionId !== member.sessionId) throw conflict(member);
  }

  /** Adds the member, replacing an entry of the same session. */
  add(member: HubMember): void {
    const existing = this.get(member.ns, member.agentId);
    if (existing) this.forget(existing);
    const local: Local = { member, rooms: new Set(), socket: undefined, transport: undefined, codec: '' };
    this.sessions.set(member.sessionId, local);
    let byAgent = this.agents.get(member.ns);
    if (!byAgent) {
      byAgent = new Map();
      this.agents.set(member.ns, byAgent);
    }
    byAgent.set(member.agentId, local);
  }

  /** Removes the entry, and takes its socket (if any) out of the hub's rooms. */
  forget(local: Local): void {
    const { member, socket } = local;
    if (this.sessions.get(member.sessionId) === local) this.sessions.delete(member.sessionId);
    const byAgent = this.agents.get(member.ns);
    if (byAgent?.get(member.agentId) === local) byAgent.delete(member.agentId);
    if (byAgent?.size === 0) this.agents.delete(member.ns);
    local.socket = undefined;
    local.transport = undefined;
    if (socket) for (const room of [...local.rooms, MEMBERS_ROOM, agentRoom(member.agentId)]) void quietly(socket.leave(room));
  }

  /** Members matching a target; `connectedOnly` leaves out those waiting to resume. */
  matching(ns: string, target: Target, exceptAgent: string | undefined, connectedOnly: boolean): Local[] {
    const byAgent = this.agents.get(ns);
    if (!byAgent) return [];
    const found = 'to' in target ? [byAgent.get(target.to)] : [...byAgent.values()];
    return found.filter(
      (l): l is Local =>
        l !== undefined &&
        l.member.agentId !== exceptAgent &&
        (!('room' in target) || l.rooms.has(target.room)) &&
        (!connectedOnly || l.transport?.open === true),
    );
  }
}

export function conflict(member: HubMember): ProtocolError {
  return new ProtocolError(ErrorCode.CONFLICT, `agent id "${member.agentId}" is already connected in ${member.ns}`);
}

/** Joins and leaves are promises with some adapters; their failure leaves the hub's own records right. */
export async function quietly(result: Promise<void> | void): Promise<void> {
  try {
    await result;
  } catch {
    // the socket is gone; its rooms went with it
  }
}
