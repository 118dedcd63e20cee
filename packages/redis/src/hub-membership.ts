import type { HubMember, Target } from '@agentsocket/core';
import type { RedisConnection } from './connection.js';
import { ATTACH, DETACH, HEARTBEAT, HUB_SCRIPTS, LEAVE_NODE, LIVENESS, ROUTE } from './hub-scripts.js';
import type { Keys } from './keys.js';
import { replyArray, replyInt, replyText } from './script.js';

/** A live member as Redis knows it. */
export interface Found {
  agentId: string;
  instance: string;
  sessionId: string;
}

/** Dead instances reaped per heartbeat, so one beat stays short after a mass failure. */
const REAP_PER_BEAT = 16;

/**
 * The hub's state in Redis, one script per operation: entries naming the instance that holds
 * each member, rooms, the instance's heartbeat. Callers decide when Redis must be up.
 */
export class Membership {
  private readonly cmd: RedisConnection;
  /** Heartbeats and liveness checks: a connection of their own, never queued behind registration work. */
  private readonly beat: RedisConnection;
  private readonly keys: Keys;
  private readonly instance: string;
  private readonly nodeTtlMs: number;
  private readonly reapAfterMs: number;
  private readonly keyTtlMs: number;
  private readonly holdMs: number;

  constructor(
    cmd: RedisConnection,
    beat: RedisConnection,
    keys: Keys,
    instance: string,
    ttl: { nodeTtlMs: number; reapAfterMs: number; keyTtlMs: number; holdMs: number },
  ) {
    this.cmd = cmd;
    this.beat = beat;
    this.keys = keys;
    this.instance = instance;
    this.nodeTtlMs = ttl.nodeTtlMs;
    this.reapAfterMs = ttl.reapAfterMs;
    this.keyTtlMs = ttl.keyTtlMs;
    this.holdMs = ttl.holdMs;
    for (const s of HUB_SCRIPTS) cmd.useScript(s);
    if (beat !== cmd) {
      beat.useScript(HEARTBEAT);
      beat.useScript(LIVENESS);
    }
  }

  /** What a member's entry says: this instance, that session. */
  entry(member: Pick<HubMember, 'sessionId'>): string {
    return `${this.instance}\n${member.sessionId}`;
  }

  /**
   * Registers `member` here. Resolves with the agent's rooms and the live instance the session
   * was taken over from; or undefined when a live other instance holds the agent (for another
   * session in 'attach' mode, for any in 'restore' mode); or `{ owner }` when the agent id is
   * bound to another principal and `takeFromOwner` was not set.
   */
  async attach(
    member: HubMember,
    mode: 'attach' | 'restore',
    takeFromOwner = false,
  ): Promise<{ rooms: string[]; from: string | undefined } | { owner: string } | undefined> {
    const { ns, agentId } = member;
    const reply = replyArray(
      await ATTACH.run(
        this.cmd.client,
        [this.keys.members(ns), this.keys.nodes(), this.keys.nodeMembers(this.instance), this.keys.agentRooms(ns, agentId), this.keys.agentOwner(ns, agentId)],
        [agentId, this.entry(member), this.instance, member.sessionId, mode, this.keyTtlMs, `${ns}\n${agentId}`, this.keys.prefix, ns, member.principal.id, takeFromOwner ? '1' : '0'],
      ),
      'hub attach',
    );
    const status = replyInt(reply[0], 'hub attach');
    if (status === 2) return { owner: replyText(reply[1], 'hub attach') };
    if (status !== 1) return undefined;
    const from = replyText(reply[1], 'hub attach');
    return { rooms: reply.slice(2).map((r) => replyText(r, 'hub attach')), from: from === '' ? undefined : from };
  }

  /**
   * Removes the entry if it is still `entry`, with the agent's room memberships; the agent id
   * stays bound to its principal for the hold time when `hold` is set, and is unbound otherwise.
   */
  async detach(ns: string, agentId: string, entry: string, hold = false): Promise<void> {
    await DETACH.run(
      this.cmd.client,
      [this.keys.members(ns), this.keys.nodeMembers(this.instance), this.keys.agentRooms(ns, agentId), this.keys.agentOwner(ns, agentId)],
      [agentId, entry, `${ns}\n${agentId}`, this.keys.prefix, ns, hold ? Math.max(1, this.holdMs) : 0],
    );
  }

  async join(ns: string, agentId: string, rooms: Iterable<string>): Promise<void> {
    const list = [...rooms];
    if (list.length === 0) return;
    const arKey = this.keys.agentRooms(ns, agentId);
    const tx = this.cmd.client.multi();
    for (const room of list) tx.sadd(this.keys.room(ns, room), agentId).pexpire(this.keys.room(ns, room), this.keyTtlMs);
    await tx.sadd(arKey, ...list).pexpire(arKey, this.keyTtlMs).exec();
  }

  async leave(ns: string, agentId: string, room: string): Promise<void> {
    await this.cmd.client.multi().srem(this.keys.room(ns, room), agentId).srem(this.keys.agentRooms(ns, agentId), room).exec();
  }

  async rooms(ns: string, agentId: string): Promise<string[]> {
    return (await this.cmd.client.smembers(this.keys.agentRooms(ns, agentId))).sort();
  }

  /** Live members a target names, except `except`. */
  async route(ns: string, target: Target, except: string | undefined): Promise<Found[]> {
    const membersKey = this.keys.members(ns);
    const [mode, arg, third] =
      'to' in target ? ['to', target.to, membersKey] : 'room' in target ? ['room', '', this.keys.room(ns, target.room)] : ['all', '', membersKey];
    const reply = await ROUTE.run(this.cmd.client, [membersKey, this.keys.nodes(), third], [mode, arg, except ?? '']);
    const flat = replyArray(reply, 'hub lookup').map((v) => replyText(v, 'hub lookup'));
    const out: Found[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const [instance, sessionId] = splitEntry(flat[i + 1] ?? '');
      out.push({ agentId: flat[i] ?? '', instance, sessionId });
    }
    return out;
  }

  /**
   * Refreshes this instance's heartbeat and reaps instances expired for longer than the reap
   * grace. Resolves with what this instance was before: 'live', 'late' (expired but its entries
   * are still there) or 'gone' (reaped, or Redis lost its data: everything must be registered again).
   * `onCommandConnection` sends it on the command connection (the first command after a reconnect).
   */
  async heartbeat(onCommandConnection = false): Promise<'live' | 'late' | 'gone'> {
    const conn = onCommandConnection ? this.cmd : this.beat;
    const reply = replyArray(
      await HEARTBEAT.run(conn.client, [this.keys.nodes()], [
        this.instance,
        this.nodeTtlMs,
        this.keyTtlMs,
        this.keys.prefix,
        REAP_PER_BEAT,
        Math.max(1, this.holdMs),
        Math.max(0, this.reapAfterMs - this.nodeTtlMs),
      ]),
      'heartbeat',
    );
    const was = replyInt(reply[0], 'heartbeat');
    return was === 1 ? 'live' : was === 2 ? 'late' : 'gone';
  }

  /** The instances of `instances` whose heartbeat expired. */
  async dead(instances: string[]): Promise<Set<string>> {
    if (instances.length === 0) return new Set();
    const reply = replyArray(await LIVENESS.run(this.beat.client, [this.keys.nodes()], instances), 'liveness');
    return new Set(instances.filter((_, i) => reply[i] !== 1));
  }

  /** Withdraws this instance's heartbeat (a polite goodbye). */
  async leaveCluster(): Promise<void> {
    await LEAVE_NODE.run(this.cmd.client, [this.keys.nodes()], [this.instance]);
  }

  channel(instance: string): string {
    return this.keys.channel(instance);
  }
}

function splitEntry(entry: string): [string, string] {
  const nl = entry.indexOf('\n');
  return nl < 0 ? [entry, ''] : [entry.slice(0, nl), entry.slice(nl + 1)];
}
