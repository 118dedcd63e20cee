import type { Call, DetachOptions, Hub, HubConnection, HubMember, InvokeOptions, Target, TeamMessage } from '@agentsocket/core';
import { CallWindow } from './node-stats.js';
import type { StatusPatch } from './patch.js';
import type { AgentRegistry } from './registry.js';

export interface RegistryHubInit {
  /** The hub that does the work (a RedisHub in a cluster). */
  hub: Hub;
  /** A registry with a node name: where this node's agents are registered. */
  registry: AgentRegistry;
  /** Failed registry writes (the hub's own operations never fail because of the registry). */
  onError?: (error: Error) => void;
}

/**
 * A Hub that keeps the registry in step with the hub it wraps: an agent attached is registered
 * (its tools from its HELLO, its rooms), joins and leaves update its rooms, calls routed to it set
 * its calls in flight (and, unless it reports its own, its status and load), and a detach
 * unregisters it. The server needs no other change: pass this hub where the inner one went.
 */
export class RegistryHub implements Hub {
  readonly registry: AgentRegistry;
  private readonly inner: Hub;
  private readonly onError: ((error: Error) => void) | undefined;
  private readonly wrappers = new WeakMap<HubMember, Tracked>();
  private readonly bySession = new Map<string, Tracked>();
  private readonly window = new CallWindow();

  constructor(init: RegistryHubInit) {
    this.inner = init.hub;
    this.registry = init.registry;
    this.onError = init.onError;
    this.registry.setStatsSource(() => {
      for (const t of this.bySession.values()) t.refreshTools();
      return this.window.take(this.bySession.size);
    });
  }

  /** The member a session of this node is registered as (for tools that act on their caller). */
  member(sessionId: string): { ns: string; agentId: string } | undefined {
    const t = this.bySession.get(sessionId);
    return t && { ns: t.ns, agentId: t.agentId };
  }

  async attach(member: HubMember): Promise<void> {
    const t = this.track(member);
    await this.inner.attach(t);
    this.bySession.set(member.sessionId, t);
    // Issued now, not awaited: the handshake does not wait for the registry, and a detach that
    // follows is written after it on the same connection.
    this.registry
      .register({ ns: member.ns, agentId: member.agentId, sessionId: member.sessionId, tools: toolsOf(member) })
      .catch((e: unknown) => this.report(e));
    // A session resumed here keeps its rooms: they reach the record once the hub has read them.
    this.inner.rooms(t).then(
      (rooms) => {
        if (rooms.length > 0) this.setRooms(t, rooms);
      },
      (e: unknown) => this.report(e),
    );
  }

  async detach(member: HubMember, options?: DetachOptions): Promise<void> {
    const t = this.track(member);
    if (this.bySession.get(member.sessionId) === t) this.bySession.delete(member.sessionId);
    await Promise.all([
      this.inner.detach(t, options),
      this.registry.unregister(member.ns, member.agentId, options?.hold ? 'moved' : 'closed', member.sessionId).catch((e: unknown) => {
        this.report(e);
        return false;
      }),
    ]);
  }

  async join(member: HubMember, room: string): Promise<void> {
    const t = this.track(member);
    await this.inner.join(t, room);
    this.setRooms(t, [...(this.registry.localRecord(member.ns, member.agentId)?.rooms ?? []), room]);
  }

  async leave(member: HubMember, room: string): Promise<void> {
    const t = this.track(member);
    await this.inner.leave(t, room);
    this.setRooms(
      t,
      (this.registry.localRecord(member.ns, member.agentId)?.rooms ?? []).filter((r) => r !== room),
    );
  }

  rooms(member: HubMember): Promise<string[]> {
    return this.inner.rooms(this.track(member));
  }

  members(ns: string, room?: string): Promise<string[]> {
    return this.inner.members(ns, room);
  }

  send(ns: string, target: Target, message: TeamMessage, exceptAgent?: string): Promise<number> {
    return this.inner.send(ns, target, message, exceptAgent);
  }

  invoke<T = unknown>(ns: string, to: string, tool: string, args: unknown, options?: InvokeOptions): Call<T> {
    return this.inner.invoke<T>(ns, to, tool, args, options);
  }

  connected(member: HubMember, connection: HubConnection): void {
    this.inner.connected?.(this.track(member), connection);
  }

  async close(): Promise<void> {
    await this.registry.close();
    await this.inner.close?.();
  }

  private track(member: HubMember): Tracked {
    let t = this.wrappers.get(member);
    if (!t) {
      t = new Tracked(member, this);
      this.wrappers.set(member, t);
    }
    return t;
  }

  private setRooms(t: Tracked, rooms: string[]): void {
    this.patch(t, { rooms });
  }

  /** A call into a local agent started (from Tracked.invoke). @internal */
  callStarted(t: Tracked): void {
    t.inFlight++;
    this.patch(t, { inFlight: t.inFlight });
  }

  /** @internal */
  callEnded(t: Tracked, durationMs: number, failed: boolean): void {
    t.inFlight = Math.max(0, t.inFlight - 1);
    this.window.record(durationMs, failed);
    this.patch(t, { inFlight: t.inFlight });
  }

  /** @internal */
  toolsChanged(t: Tracked, tools: string[]): void {
    this.patch(t, { tools });
  }

  /** Changes the record of a member still registered here (a call may end after its session did). */
  private patch(t: Tracked, patch: StatusPatch): void {
    if (this.registry.localRecord(t.ns, t.agentId)?.sessionId !== t.sessionId) return;
    this.registry.update(t.ns, t.agentId, patch, false).catch((e: unknown) => this.report(e));
  }

  private report(error: unknown): void {
    this.onError?.(error instanceof Error ? error : new Error(String(error)));
  }
}

/** The member as the inner hub sees it: the same agent, with its calls counted. */
class Tracked implements HubMember {
  inFlight = 0;
  private readonly member: HubMember;
  private readonly owner: RegistryHub;
  private lastTools: string;

  constructor(member: HubMember, owner: RegistryHub) {
    this.member = member;
    this.owner = owner;
    this.lastTools = toolsOf(member).join('\n');
  }

  get sessionId() {
    return this.member.sessionId;
  }

  get ns() {
    return this.member.ns;
  }

  get agentId() {
    return this.member.agentId;
  }

  get principal() {
    return this.member.principal;
  }

  deliver(message: TeamMessage): void {
    this.member.deliver(message);
  }

  invoke<T = unknown>(tool: string, args: unknown, options?: InvokeOptions): Call<T> {
    const call = this.member.invoke<T>(tool, args, options);
    const started = performance.now();
    this.owner.callStarted(this);
    call.result.then(
      () => this.owner.callEnded(this, performance.now() - started, false),
      () => this.owner.callEnded(this, performance.now() - started, true),
    );
    return call;
  }

  mayClaimFrom(holder: string): boolean | Promise<boolean> {
    return this.member.mayClaimFrom?.(holder) ?? false;
  }

  /** Tools announced after the handshake (TOOL_DEF) reach the record at the next heartbeat. */
  refreshTools(): void {
    const tools = toolsOf(this.member);
    const text = tools.join('\n');
    if (text === this.lastTools) return;
    this.lastTools = text;
    this.owner.toolsChanged(this, tools);
  }
}

/**
 * The tools a member serves, from what its session learned in the HELLO and TOOL_DEFs (core's
 * ServerSession exposes them as `remoteTools`); none for a member that does not say.
 */
export function toolsOf(member: HubMember): string[] {
  if (!('remoteTools' in member)) return [];
  const list: unknown = member.remoteTools;
  if (!Array.isArray(list)) return [];
  const names: string[] = [];
  for (const t of list) {
    if (typeof t === 'object' && t !== null && 'name' in t && typeof t.name === 'string') names.push(t.name);
  }
  return names.sort();
}
