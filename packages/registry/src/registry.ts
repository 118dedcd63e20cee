import { randomBytes } from 'node:crypto';
import { AgentSocketError } from '@agentsocket/core';
import type { RedisConnection } from '@agentsocket/redis';
import { guarded } from '@agentsocket/redis/internal';
import { DEFAULTS } from './defaults.js';
import { RegistryError, wrapUnavailable } from './errors.js';
import { EventFeed, type SubscribeOptions } from './event-feed.js';
import type { PresenceEvent } from './events.js';
import { RegistryKeys } from './keys.js';
import { decodeStats, type NodeInfo, type NodeStats } from './node-stats.js';
import { applyQuery, parseQuery, type RegistryQuery } from './query.js';
import { checkPatch, localKey, type StatusPatch, same, uniqueSorted } from './patch.js';
import { isStringMap, liveNodes, redisNow } from './reads.js';
import { type AgentRecord, decodeRecord, encodeRecord, type StoredRecord } from './record.js';
import { HEARTBEAT, LEAVE, REAP, REGISTER, SCRIPTS, UNREGISTER, UPDATE } from './scripts.js';

export interface AgentRegistryInit {
  /** Commands. May be shared with the hub and stores. */
  connection: RedisConnection;
  /** Receives the events channel. @default a duplicate of `connection`, made on the first subscribe */
  subscriber?: RedisConnection;
  /** The cluster's key prefix; the registry's keys and channel start with `<prefix>reg:`. @default 'asp:' */
  prefix?: string;
  /**
   * This node's name (a hub instance id in a cluster). A registry with a node heartbeats and may
   * register agents; one without is an observer (queries, events, sweeping dead nodes).
   */
  node?: string;
  /** How often the node heartbeats and the registry sweeps dead nodes. @default 1000 */
  heartbeatMs?: number;
  /** A node whose last heartbeat is older than this is dead. @default 3 × heartbeatMs */
  nodeTtlMs?: number;
  /** Status changes of a local agent are written at most this often. @default 100 */
  flushMs?: number;
  /** Failed background writes and malformed events. */
  onError?: (error: Error) => void;
}

/** What a node registers for a connected agent. */
export interface AgentEntry {
  ns: string;
  agentId: string;
  /** The session behind it; a record is only changed or removed by the node and session that own it. @default agentId */
  sessionId?: string;
  tools: readonly string[];
  rooms?: readonly string[];
}


interface Local {
  rec: StoredRecord;
  dirty: boolean;
  waiters: Array<{ resolve: () => void; reject: (e: Error) => void }>;
}

/**
 * The agent registry on Redis: every connected agent's capabilities, status, load, node and
 * last-seen, readable from any node; presence and status events on one pub/sub channel; dead
 * nodes swept by whichever registry sees them first (one Lua script, so each `failed` is
 * published once).
 */
export class AgentRegistry {
  /** This node's name, or undefined for an observer. */
  readonly node: string | undefined;
  readonly nodeTtlMs: number;
  private readonly cmd: RedisConnection;
  private readonly keys: RegistryKeys;
  private readonly flushMs: number;
  private readonly onError: ((error: Error) => void) | undefined;
  private readonly local = new Map<string, Local>();
  private readonly feed: EventFeed;
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly removers: Array<() => void> = [];
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private generation: number;
  private beating = false;
  private statsSource: (() => NodeStats) | undefined;
  private closed = false;

  constructor(init: AgentRegistryInit) {
    if (init.node !== undefined && !/^[\w.:@-]{1,128}$/.test(init.node)) {
      throw new AgentSocketError('INVALID_OPTIONS', `node ${JSON.stringify(init.node)} must be 1-128 of [A-Za-z0-9_.:@-]`);
    }
    this.node = init.node;
    this.cmd = init.connection;
    this.keys = new RegistryKeys(init.prefix ?? DEFAULTS.prefix);
    this.feed = new EventFeed(this.cmd, init.subscriber, this.keys.events(), (e) => this.report(e));
    const heartbeatMs = init.heartbeatMs ?? DEFAULTS.heartbeatMs;
    this.nodeTtlMs = init.nodeTtlMs ?? heartbeatMs * DEFAULTS.missedBeats;
    this.flushMs = init.flushMs ?? DEFAULTS.flushMs;
    this.onError = init.onError;
    for (const s of SCRIPTS) this.cmd.useScript(s);
    this.generation = this.cmd.generation;
    this.timer = setInterval(() => void this.beat(), heartbeatMs);
    this.timer.unref();
    if (this.node !== undefined) {
      this.removers.push(this.cmd.onReady(() => this.restore()));
      if (this.cmd.isReady) void this.restore().catch((e: unknown) => this.report(e));
    }
  }

  /** A random node name ("prefix.hex"), for a process that has no hub instance id to reuse. */
  static nodeName(prefix = 'node'): string {
    return `${prefix}.${randomBytes(4).toString('hex')}`;
  }

  /** Where this registry's keys live (`<prefix>reg:`). */
  get keyBase(): string {
    return this.keys.base;
  }

  /** Measures to publish with each heartbeat (the RegistryHub's call window). */
  setStatsSource(source: () => NodeStats): void {
    this.statsSource = source;
  }

  // ---- a node's own agents ----

  /** Registers (or re-registers) a connected agent on this node and publishes `joined`. */
  async register(entry: AgentEntry): Promise<AgentRecord> {
    const node = this.requireNode('register');
    const now = Date.now();
    const rec: StoredRecord = {
      ns: entry.ns,
      agentId: entry.agentId,
      node,
      sessionId: entry.sessionId ?? entry.agentId,
      tools: uniqueSorted(entry.tools),
      rooms: uniqueSorted(entry.rooms ?? []),
      status: 'idle',
      load: 0,
      inFlight: 0,
      reported: false,
      since: now,
      updatedAt: now,
    };
    const key = localKey(rec.ns, rec.agentId);
    const previous = this.local.get(key);
    for (const w of previous?.waiters ?? []) w.resolve();
    this.local.set(key, { rec, dirty: false, waiters: [] });
    await this.op('register', () => this.writeRegister(rec));
    return { ...rec, lastSeen: now };
  }

  /**
   * Changes a local agent's record; the write (and its `status` event) goes out within `flushMs`,
   * merged with other changes. A `status` or `load` given here counts as the agent's own report:
   * from then on the node no longer derives them from calls in flight. Resolves once written.
   */
  update(ns: string, agentId: string, patch: StatusPatch, reported = patch.status !== undefined || patch.load !== undefined): Promise<void> {
    const l = this.local.get(localKey(ns, agentId));
    if (!l) return Promise.reject(new RegistryError('NOT_FOUND', `agent "${agentId}" in ${ns} is not registered on this node`));
    try {
      checkPatch(patch);
    } catch (error) {
      return Promise.reject(error);
    }
    const r = l.rec;
    const next: StoredRecord = {
      ...r,
      ...(patch.tools ? { tools: uniqueSorted(patch.tools) } : {}),
      ...(patch.rooms ? { rooms: uniqueSorted(patch.rooms) } : {}),
      ...(patch.inFlight !== undefined ? { inFlight: patch.inFlight } : {}),
      reported: r.reported || reported,
    };
    if (reported) {
      if (patch.status !== undefined) next.status = patch.status;
      if (patch.load !== undefined) next.load = patch.load;
    } else if (!next.reported) {
      next.status = next.inFlight > 0 ? 'busy' : 'idle';
      next.load = next.inFlight;
    }
    if (same(r, next)) return Promise.resolve();
    next.updatedAt = Date.now();
    l.rec = next;
    l.dirty = true;
    this.flushTimer ??= setTimeout(() => void this.flush(), this.flushMs);
    return new Promise((resolve, reject) => l.waiters.push({ resolve, reject }));
  }

  /** The record of an agent this node holds, as it will be written next. */
  localRecord(ns: string, agentId: string): StoredRecord | undefined {
    return this.local.get(localKey(ns, agentId))?.rec;
  }

  /** Removes a local agent's record (if this node and session still own it) and publishes `left`. */
  unregister(ns: string, agentId: string, reason: 'closed' | 'moved' = 'closed', sessionId?: string): Promise<boolean> {
    return this.remove(this.requireNode('unregister'), ns, agentId, reason, sessionId);
  }

  private async remove(node: string, ns: string, agentId: string, reason: 'closed' | 'moved', sessionId?: string): Promise<boolean> {
    const key = localKey(ns, agentId);
    const l = this.local.get(key);
    if (sessionId !== undefined && l && l.rec.sessionId !== sessionId) return false;
    const session = sessionId ?? l?.rec.sessionId ?? agentId;
    this.local.delete(key);
    for (const w of l?.waiters ?? []) w.resolve();
    const k = this.keys;
    const removed = await this.op('unregister', () =>
      UNREGISTER.run(
        this.cmd.client,
        [k.agents(ns), k.nodeAgents(node), k.namespaces()],
        [agentId, node, session, `${ns}\n${agentId}`, k.events(), Date.now(), reason, ns],
      ),
    );
    return removed === 1;
  }

  // ---- reading, from any registry ----

  /** One agent, if it is registered on a live node. */
  async get(ns: string, agentId: string): Promise<AgentRecord | undefined> {
    const [text, live] = await this.op('get', async () => {
      const reply = await this.cmd.client.multi().hget(this.keys.agents(ns), agentId).time().zrange(this.keys.nodes(), 0, -1, 'WITHSCORES').exec();
      return [reply?.[0]?.[1], liveNodes(reply?.[1]?.[1], reply?.[2]?.[1], this.nodeTtlMs)] as const;
    });
    if (typeof text !== 'string') return undefined;
    const rec = decodeRecord(text);
    const beat = rec ? live.get(rec.node) : undefined;
    return rec && beat !== undefined ? { ...rec, lastSeen: Math.max(rec.updatedAt, beat) } : undefined;
  }

  /**
   * Agents of one namespace matching a query, e.g. `{ ns: '/team-alpha', tool: 'summarise' }`
   * (least loaded first). A malformed query rejects with RegistryError INVALID_QUERY.
   */
  find(query: RegistryQuery): Promise<AgentRecord[]> {
    return this.query(query);
  }

  /** `find` for a query from outside (a tool's arguments): checked field by field the same way. */
  async query(input: unknown): Promise<AgentRecord[]> {
    const q = parseQuery(input);
    // Only records whose JSON holds every tool and room asked for are decoded (a match always does).
    const needles = [...(q.tool === undefined ? [] : [q.tool]), ...(q.tools ?? []), ...(q.room === undefined ? [] : [q.room])].map((s) => JSON.stringify(s));
    return applyQuery(await this.agentsOf([q.ns], needles), q);
  }

  /** Every agent on a live node, of one namespace or of all, sorted by namespace and agent id. */
  async list(ns?: string): Promise<AgentRecord[]> {
    if (ns !== undefined) return (await this.find({ ns, orderBy: 'agentId' })).slice();
    const all = await this.agentsOf(await this.namespaces());
    return all.sort((a, b) => (a.ns === b.ns ? (a.agentId < b.agentId ? -1 : 1) : a.ns < b.ns ? -1 : 1));
  }

  /** Namespaces that have registered agents, sorted. */
  async namespaces(): Promise<string[]> {
    return (await this.op('namespaces', () => this.cmd.client.smembers(this.keys.namespaces()))).sort();
  }

  /** Nodes with a heartbeat entry (live ones, and dead ones not yet swept), with their last stats. */
  async nodes(): Promise<NodeInfo[]> {
    const reply = await this.op('nodes', () => this.cmd.client.multi().time().zrange(this.keys.nodes(), 0, -1, 'WITHSCORES').hgetall(this.keys.stats()).exec());
    const now = redisNow(reply?.[0]?.[1]);
    const flat = reply?.[1]?.[1];
    const stats = reply?.[2]?.[1];
    const out: NodeInfo[] = [];
    if (!Array.isArray(flat)) return out;
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const node = String(flat[i]);
      const lastSeen = Number(flat[i + 1]);
      const text = isStringMap(stats) ? stats[node] : undefined;
      out.push({ node, lastSeen, alive: lastSeen >= now - this.nodeTtlMs, stats: decodeStats(text) });
    }
    return out.sort((a, b) => (a.node < b.node ? -1 : 1));
  }

  // ---- events ----

  /**
   * Calls `listener` with every presence and status event (filtered by `options`), until the
   * returned function is called. Resolves once the subscription is active.
   */
  subscribe(listener: (event: PresenceEvent) => void, options: SubscribeOptions = {}): Promise<() => void> {
    return this.feed.subscribe(listener, options);
  }

  /** The events as an async iterable, until `signal` aborts (or the registry closes). */
  events(options: SubscribeOptions & { signal?: AbortSignal } = {}): AsyncGenerator<PresenceEvent, void, undefined> {
    return this.feed.events(options);
  }

  /**
   * Stops. A node unregisters its agents (`left`, reason `moved`: their sessions may resume on
   * another node) and withdraws its heartbeat; `abrupt` leaves everything as a crash would.
   */
  async close(options: { abrupt?: boolean } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    for (const remove of this.removers) remove();
    const node = this.node;
    if (!options.abrupt && node !== undefined && this.cmd.isReady) {
      const mine = [...this.local.values()].map((l) => l.rec);
      await Promise.all(mine.map((r) => this.remove(node, r.ns, r.agentId, 'moved', r.sessionId).catch(() => false)));
      const k = this.keys;
      await LEAVE.run(this.cmd.client, [k.nodes(), k.stats(), k.nodeAgents(node)], [node]).catch(() => {});
    }
    for (const l of this.local.values()) for (const w of l.waiters) w.resolve();
    this.local.clear();
    await this.feed.close(options.abrupt === true);
  }

  // ---- internals ----

  private requireNode(what: string): string {
    if (this.node === undefined) throw new AgentSocketError('INVALID_OPTIONS', `${what} needs a registry with a node name (this one is an observer)`);
    if (this.closed) throw new AgentSocketError('SESSION_CLOSED', 'the registry is closed');
    return this.node;
  }

  private writeRegister(rec: StoredRecord): Promise<unknown> {
    const k = this.keys;
    return REGISTER.run(
      this.cmd.client,
      [k.agents(rec.ns), k.nodeAgents(rec.node), k.nodes(), k.namespaces()],
      [rec.agentId, encodeRecord(rec), rec.node, `${rec.ns}\n${rec.agentId}`, k.base, k.events(), Date.now(), rec.ns],
    );
  }

  private async flush(): Promise<void> {
    this.flushTimer = undefined;
    const node = this.node;
    if (node === undefined || this.closed) return;
    const batch = [...this.local.entries()].filter(([, l]) => l.dirty);
    await Promise.all(
      batch.map(async ([key, l]) => {
        l.dirty = false;
        const waiters = l.waiters;
        l.waiters = [];
        const rec = l.rec;
        try {
          const got = await guarded(this.cmd, 'status update', () =>
            UPDATE.run(this.cmd.client, [this.keys.agents(rec.ns)], [rec.agentId, node, rec.sessionId, encodeRecord(rec), this.keys.events(), Date.now()]),
          );
          // Another node holds the agent now (its session moved): this node lets it go.
          if (got === 2 && this.local.get(key) === l) this.local.delete(key);
          for (const w of waiters) w.resolve();
        } catch (error) {
          l.dirty = true;
          const e = wrapUnavailable(error);
          for (const w of waiters) w.reject(e);
          this.report(e);
        }
      }),
    );
  }

  /** Heartbeat (a node), stats, then a sweep of dead nodes (every registry). */
  private async beat(): Promise<void> {
    if (this.beating || this.closed || !this.cmd.isReady) return;
    this.beating = true;
    const k = this.keys;
    try {
      const node = this.node;
      if (node !== undefined) {
        const was = await HEARTBEAT.run(this.cmd.client, [k.nodes()], [node]);
        // Taken for dead (a long pause) or Redis restarted empty: this node's agents are written again.
        if (was !== 1 || this.cmd.generation !== this.generation) await this.restore();
        const stats = this.statsSource?.() ?? { calls: 0, errors: 0, p50Ms: 0, p99Ms: 0, windowMs: 0, agents: this.local.size };
        const text = JSON.stringify(stats);
        await this.cmd.client
          .multi()
          .hset(k.stats(), node, text)
          .publish(k.events(), `{"type":"node","at":${Date.now()},"node":${JSON.stringify(node)},"stats":${text}}`)
          .exec();
      }
      await REAP.run(this.cmd.client, [k.nodes(), k.namespaces(), k.stats()], [this.nodeTtlMs, k.base, k.events(), DEFAULTS.reapBatch, 16]);
    } catch (error) {
      this.report(error);
    } finally {
      this.beating = false;
    }
  }

  /** Writes this node's heartbeat and every local agent again. */
  private async restore(): Promise<void> {
    const node = this.node;
    if (node === undefined || this.closed) return;
    this.generation = this.cmd.generation;
    await HEARTBEAT.run(this.cmd.client, [this.keys.nodes()], [node]);
    await Promise.all([...this.local.values()].map((l) => this.writeRegister(l.rec)));
  }

  private async agentsOf(namespaces: string[], needles: string[] = []): Promise<AgentRecord[]> {
    if (namespaces.length === 0) return [];
    const reply = await this.op('query', () => {
      const tx = this.cmd.client.multi().time().zrange(this.keys.nodes(), 0, -1, 'WITHSCORES');
      for (const ns of namespaces) tx.hvals(this.keys.agents(ns));
      return tx.exec();
    });
    const live = liveNodes(reply?.[0]?.[1], reply?.[1]?.[1], this.nodeTtlMs);
    const out: AgentRecord[] = [];
    for (const [, values] of reply?.slice(2) ?? []) {
      if (!Array.isArray(values)) continue;
      for (const text of values) {
        if (typeof text !== 'string' || !needles.every((n) => text.includes(n))) continue;
        const rec = decodeRecord(text);
        const beat = rec ? live.get(rec.node) : undefined;
        if (rec && beat !== undefined) out.push({ ...rec, lastSeen: Math.max(rec.updatedAt, beat) });
      }
    }
    return out;
  }

  private async op<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await guarded(this.cmd, `registry ${what}`, fn);
    } catch (error) {
      throw wrapUnavailable(error);
    }
  }

  private report(error: unknown): void {
    if (this.closed) return;
    this.onError?.(error instanceof Error ? error : new Error(String(error)));
  }
}
