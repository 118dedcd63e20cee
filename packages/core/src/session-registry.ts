import { ProtocolError } from './errors.js';
import * as ErrorCode from './error-code.js';
import type { Principal } from './transport.js';

/** What the registry needs of a session (a ServerSession, or a stand-in in tests). */
export interface RegisteredSession {
  readonly sessionId: string;
  readonly principal: Principal;
  /** Namespace and agent id: a new session of the same agent id finds the old ones by them. */
  readonly ns: string;
  readonly agentId: string;
  /** Unacknowledged frames the session keeps for replay. */
  readonly chan: { readonly unackedBytes: number };
}

export interface SessionLimits {
  /** Sessions one principal may hold, connected or waiting to be resumed (Infinity: no limit). */
  readonly perPrincipal: number;
  /** Unacknowledged bytes all sessions waiting to be resumed may keep together. */
  readonly retainedBytes: number;
  /** How long a dropped session waits to be resumed, ms. */
  readonly ttlMs: number;
}

/** How often the bytes kept by dropped sessions are summed again while any wait, ms. */
const RETAINED_CHECK_MS = 1000;

/**
 * A server's sessions by id and what bounds them: the per-principal count, the TTL of each
 * dropped session, and the bytes all dropped sessions keep together (past it the longest-dropped
 * end first). It decides when a session must end and says so through `expire`; the server ends it.
 */
export class SessionRegistry<S extends RegisteredSession> {
  private readonly byId = new Map<string, S>();
  /** "ns\nagentId" → its sessions, so a handshake finds those of its agent id without walking all. */
  // Namespace, then agent id, then the session (or, rarely, the sessions) of that agent: the keys
  // are strings the sessions already hold, and one session needs no Set of its own.
  private readonly byAgent = new Map<string, Map<string, S | S[]>>();
  /** Sessions waiting to be resumed, longest-dropped first, each with its expiry timer. */
  private readonly dropped = new Map<S, ReturnType<typeof setTimeout>>();
  /** Sessions held per principal id (connected or waiting to be resumed, or reserved by a handshake). */
  private readonly perPrincipal = new Map<string, number>();
  private retainedTimer: ReturnType<typeof setInterval> | undefined;
  private readonly limits: SessionLimits;
  private readonly expire: (session: S, error: ProtocolError) => void;

  /** `expire` ends a session the registry gave up on (TTL or retained bytes); it must call remove(). */
  constructor(limits: SessionLimits, expire: (session: S, error: ProtocolError) => void) {
    this.limits = limits;
    this.expire = expire;
  }

  get size(): number {
    return this.byId.size;
  }

  get(id: string): S | undefined {
    return this.byId.get(id);
  }

  has(session: S): boolean {
    return this.byId.get(session.sessionId) === session;
  }

  /** A copy, so the caller may end sessions while it walks them. */
  all(): S[] {
    return [...this.byId.values()];
  }

  /** The sessions of one agent id in one namespace (a copy). */
  ofAgent(ns: string, agentId: string): S[] {
    const same = this.byAgent.get(ns)?.get(agentId);
    if (same === undefined) return [];
    return Array.isArray(same) ? [...same] : [same];
  }

  get perPrincipalLimit(): number {
    return this.limits.perPrincipal;
  }

  get ttlMs(): number {
    return this.limits.ttlMs;
  }

  /** Holds a place for a new session of `principal`; false (nothing held) at its limit. */
  reserve(principal: Principal): boolean {
    const n = this.perPrincipal.get(principal.id) ?? 0;
    if (n >= this.limits.perPrincipal) return false;
    this.perPrincipal.set(principal.id, n + 1);
    return true;
  }

  /** Gives back a place reserve() held, for a session that was not made after all. */
  release(principal: Principal): void {
    const n = (this.perPrincipal.get(principal.id) ?? 0) - 1;
    if (n > 0) this.perPrincipal.set(principal.id, n);
    else this.perPrincipal.delete(principal.id);
  }

  /** Adds a session; `reserved`: its place was held by reserve(), otherwise it takes one now (a takeover is not refused). */
  add(session: S, reserved: boolean): void {
    this.byId.set(session.sessionId, session);
    let agents = this.byAgent.get(session.ns);
    if (!agents) {
      agents = new Map();
      this.byAgent.set(session.ns, agents);
    }
    const same = agents.get(session.agentId);
    if (same === undefined) agents.set(session.agentId, session);
    else if (Array.isArray(same)) {
      if (!same.includes(session)) same.push(session);
    } else if (same !== session) agents.set(session.agentId, [same, session]);
    if (!reserved) this.perPrincipal.set(session.principal.id, (this.perPrincipal.get(session.principal.id) ?? 0) + 1);
  }

  /** Takes a session out and frees its place; false when it was not here. */
  remove(session: S): boolean {
    this.undrop(session);
    if (!this.has(session)) return false;
    this.byId.delete(session.sessionId);
    const agents = this.byAgent.get(session.ns);
    const same = agents?.get(session.agentId);
    if (agents && same !== undefined) {
      if (same === session) agents.delete(session.agentId);
      else if (Array.isArray(same)) {
        const rest = same.filter((s) => s !== session);
        if (rest.length === 1) agents.set(session.agentId, rest[0] as S);
        else agents.set(session.agentId, rest);
      }
      if (agents.size === 0) this.byAgent.delete(session.ns);
    }
    this.release(session.principal);
    return true;
  }

  /** The session's connection is gone: it waits ttlMs to be resumed, unless the retained bytes end it sooner. */
  drop(session: S): void {
    this.undrop(session);
    this.dropped.set(
      session,
      setTimeout(() => this.expire(session, new ProtocolError(ErrorCode.SESSION_EXPIRED, 'session expired before it was resumed')), this.limits.ttlMs),
    );
    if (!this.retainedTimer) {
      // Dropped sessions still receive (messages, the rest of a stream), so the total is checked again while any wait.
      this.retainedTimer = setInterval(() => this.enforceRetained(), RETAINED_CHECK_MS);
      this.retainedTimer.unref?.();
    }
    this.enforceRetained();
  }

  /** The session was resumed (or is ending): it no longer waits. */
  undrop(session: S): void {
    const expiry = this.dropped.get(session);
    if (expiry === undefined) return;
    clearTimeout(expiry);
    this.dropped.delete(session);
  }

  isDropped(session: S): boolean {
    return this.dropped.has(session);
  }

  /** Stops the timers (the server is closing; its sessions end through remove()). */
  close(): void {
    if (this.retainedTimer) clearInterval(this.retainedTimer);
    this.retainedTimer = undefined;
  }

  /** Past limits.retainedBytes, the longest-dropped sessions end early, as if they had expired. */
  private enforceRetained(): void {
    let total = 0;
    for (const s of this.dropped.keys()) total += s.chan.unackedBytes;
    for (const s of [...this.dropped.keys()]) {
      if (total <= this.limits.retainedBytes) break;
      total -= s.chan.unackedBytes;
      this.undrop(s);
      this.expire(s, new ProtocolError(ErrorCode.SESSION_EXPIRED, 'session ended before its TTL: the server holds its limit of bytes for dropped sessions'));
    }
    if (this.dropped.size === 0) this.close();
  }
}
