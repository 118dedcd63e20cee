import { randomBytes } from 'node:crypto';
import {
  AgentSocketError,
  Call,
  DEFAULT_AGENT_ID_HOLD_MS,
  type DetachOptions,
  ErrorCode,
  type Hub,
  type HubMember,
  type InvokeOptions,
  ProtocolError,
  type Target,
  type TeamMessage,
} from '@agentsocket/core';
import { checkMessageId, ulidFactory } from '@agentsocket/core/internal';
import { guarded, isTransient, type RedisConnection, unavailable } from './connection.js';
import { Handoffs } from './hub-handoff.js';
import { Membership } from './hub-membership.js';
import { type BusMessage, decodeBus, encodeBus } from './hub-messages.js';
import { Keys } from './keys.js';
import { OutgoingCalls, ServedCalls } from './remote-calls.js';

export interface RedisHubInit {
  /** Commands (membership, publishing). May be shared with the stores. */
  connection: RedisConnection;
  /** Receives this node's channel. @default a duplicate of `connection`, closed with the hub */
  subscriber?: RedisConnection;
  /**
   * Sends this node's heartbeats and liveness checks, so registration work queued on `connection`
   * never delays them. @default a duplicate of `connection`, closed with the hub
   */
  heartbeatConnection?: RedisConnection;
  /** Prefix of every key and channel. @default 'asp:' */
  prefix?: string;
  /** This node's name; the hub adds a random suffix per process. @default a random id */
  nodeId?: string;
  /**
   * How often this node refreshes its heartbeat and sweeps dead nodes. A dead node is known after
   * 3 beats (`nodeTtlMs`), and calls it was running are taken over then: 1 s keeps that near 3 s. @default 1000
   */
  heartbeatMs?: number;
  /**
   * A node whose last heartbeat (by Redis's clock) is older than this is expired: lookups skip its
   * members, calls to and from it fail, and another node may take its agents over. @default 3 × heartbeatMs
   */
  nodeTtlMs?: number;
  /**
   * A node whose last heartbeat is older than this is reaped: its members, their rooms and its
   * registration are removed. Until then a node that comes back keeps its entries and registers
   * nothing again. At least `nodeTtlMs`. @default 3 × nodeTtlMs
   */
  reapAfterMs?: number;
  /** TTL of membership keys, refreshed while a node holds members in them (nothing leaks if every node dies). @default 3600000 */
  keyTtlMs?: number;
  /**
   * Called on this node when another node takes over one of its sessions (the client moved):
   * resolve once what this node journaled for it is stored. redisCluster wires the session store.
   */
  onHandoff?: (sessionId: string) => Promise<void>;
  /** How long a takeover waits for the old node to answer its hand-off. @default 1000 */
  handoffTimeoutMs?: number;
  /**
   * How long an agent id stays bound to its principal after its node handed the session over or
   * died, so no other principal takes it before the session is resumed; match the server's
   * sessionTtlMs. @default 60000
   */
  agentIdHoldMs?: number;
  /** Malformed bus messages and failed background writes. */
  onError?: (error: Error) => void;
}

/** Members delivered to per turn of the event loop when a message fans out on this node. */
const DELIVER_BATCH = 256;

/** Members written per batch when this node registers them again. */
const RESTORE_BATCH = 256;

interface Local {
  member: HubMember;
  rooms: Set<string>;
}

/**
 * A Hub shared by every node on one Redis: membership and rooms live in Redis (each entry names
 * the node instance holding the member), sends and routed invokes travel over each instance's
 * pub/sub channel to the instance holding the target, which calls the member locally.
 */
export class RedisHub implements Hub {
  /** This process's instance id ("nodeId.random"): what member entries and channels name. */
  readonly instance: string;
  private readonly cmd: RedisConnection;
  private readonly sub: RedisConnection;
  private readonly ownsSub: boolean;
  private readonly beatConn: RedisConnection;
  private readonly ownsBeat: boolean;
  private readonly redis: Membership;
  private readonly keyTtlMs: number;
  private readonly onError: ((error: Error) => void) | undefined;
  private readonly local = new Map<string, Map<string, Local>>();
  /** Entries this instance failed to remove while Redis was away: removed once it is back. */
  private readonly orphans = new Map<string, { ns: string; agentId: string; entry: string }>();
  private readonly outgoing: OutgoingCalls;
  private readonly served: ServedCalls;
  private readonly handoffs: Handoffs;
  private readonly newId = ulidFactory();
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly removers: Array<() => void> = [];
  private lastKeyRefresh = Date.now();
  private registering: Promise<void> | undefined;
  /** The registration pass running, if any; `restoreAgain` asks it for one more full pass. */
  private restoring: Promise<void> | undefined;
  private restoreAgain = false;
  private beating = false;
  /** Fan-outs being delivered here, in arrival order (see deliverHere). */
  private readonly deliveries: Array<{ ns: string; agents: string[]; message: TeamMessage; next: number }> = [];
  private delivering = false;
  private closed = false;

  constructor(init: RedisHubInit) {
    const nodeId = init.nodeId ?? randomBytes(6).toString('hex');
    if (!/^[\w.:@-]{1,100}$/.test(nodeId)) throw new AgentSocketError('INVALID_OPTIONS', `nodeId ${JSON.stringify(nodeId)} must be 1-100 of [A-Za-z0-9_.:@-]`);
    this.instance = `${nodeId}.${randomBytes(4).toString('hex')}`;
    this.cmd = init.connection;
    this.ownsSub = init.subscriber === undefined;
    this.sub = init.subscriber ?? init.connection.duplicate();
    this.ownsBeat = init.heartbeatConnection === undefined;
    this.beatConn = init.heartbeatConnection ?? init.connection.duplicate();
    const heartbeatMs = init.heartbeatMs ?? 1000;
    const nodeTtlMs = init.nodeTtlMs ?? heartbeatMs * 3;
    const reapAfterMs = init.reapAfterMs ?? nodeTtlMs * 3;
    if (!(reapAfterMs >= nodeTtlMs)) throw new AgentSocketError('INVALID_OPTIONS', `reapAfterMs (${reapAfterMs}) must be at least nodeTtlMs (${nodeTtlMs})`);
    this.keyTtlMs = init.keyTtlMs ?? 3_600_000;
    this.redis = new Membership(this.cmd, this.beatConn, new Keys(init.prefix ?? 'asp:'), this.instance, {
      nodeTtlMs,
      reapAfterMs,
      keyTtlMs: this.keyTtlMs,
      holdMs: init.agentIdHoldMs ?? DEFAULT_AGENT_ID_HOLD_MS,
    });
    this.onError = init.onError;
    const publish = (instance: string, message: BusMessage) => this.cmd.client.publish(this.redis.channel(instance), encodeBus(message));
    this.outgoing = new OutgoingCalls(this.instance, publish);
    this.served = new ServedCalls(this.instance, publish, () => this.cmd.whenReady(nodeTtlMs * 2));
    this.handoffs = new Handoffs(this.instance, publish, init.handoffTimeoutMs ?? 1000, init.onHandoff);
    this.removers.push(
      this.cmd.onReady(() => this.register()),
      this.sub.onReady(async () => {
        await this.sub.client.subscribe(this.redis.channel(this.instance));
      }),
      this.cmd.onDown(() => this.lostRedis()),
      this.sub.onDown(() => this.lostRedis()),
    );
    this.sub.client.on('messageBuffer', (_channel: unknown, bytes: unknown) => {
      if (Buffer.isBuffer(bytes)) this.onBus(bytes);
    });
    this.timer = setInterval(() => void this.beat(), heartbeatMs);
    this.timer.unref();
    // On a connection that is already up the ready hook has run: register now.
    if (this.cmd.isReady) {
      this.registering = this.register().then(
        () => {
          this.registering = undefined;
        },
        (error: unknown) => {
          this.registering = undefined;
          this.report(error);
        },
      );
    }
  }

  /** Resolves once both connections are up and this node is registered. */
  async ready(timeoutMs?: number): Promise<void> {
    await Promise.all([this.cmd.whenReady(timeoutMs), this.sub.whenReady(timeoutMs), this.beatConn.whenReady(timeoutMs)]);
  }

  async attach(member: HubMember): Promise<void> {
    if (this.registering) await this.registering;
    let got = await guarded(this.cmd, 'hub attach', () => this.redis.attach(member, 'attach'));
    if (got && 'owner' in got) {
      const { owner } = got;
      if (!(await member.mayClaimFrom?.(owner))) {
        throw new ProtocolError(ErrorCode.CONFLICT, `agent id "${member.agentId}" is held by another principal's session in ${member.ns}`);
      }
      got = await guarded(this.cmd, 'hub attach', () => this.redis.attach(member, 'attach', true));
    }
    if (!got || 'owner' in got) throw new ProtocolError(ErrorCode.CONFLICT, `agent id "${member.agentId}" is already connected in ${member.ns}`);
    let ns = this.local.get(member.ns);
    if (!ns) {
      ns = new Map();
      this.local.set(member.ns, ns);
    }
    ns.set(member.agentId, { member, rooms: new Set(got.rooms) });
    this.orphans.delete(`${member.ns}\n${member.agentId}`);
    // The session moved here from a live node: let it store what it accepted before the claim fences it.
    if (got.from !== undefined) await this.handoffs.request(got.from, member.sessionId);
  }

  async detach(member: HubMember, options: DetachOptions = {}): Promise<void> {
    const ns = this.local.get(member.ns);
    const cur = ns?.get(member.agentId);
    if (cur && cur.member !== member && cur.member.sessionId === member.sessionId) return;
    if (ns && cur?.member === member) {
      ns.delete(member.agentId);
      if (ns.size === 0) this.local.delete(member.ns);
    }
    const entry = this.redis.entry(member);
    try {
      // Issued before this returns when Redis is up, so a detach runs before a following attach.
      await guarded(this.cmd, 'hub detach', () => this.redis.detach(member.ns, member.agentId, entry, options.hold === true));
    } catch (error) {
      if (!isTransient(error) && !(error instanceof ProtocolError)) throw error;
      this.orphans.set(`${member.ns}\n${member.agentId}`, { ns: member.ns, agentId: member.agentId, entry });
    }
  }

  async join(member: HubMember, room: string): Promise<void> {
    this.mine(member)?.rooms.add(room);
    await guarded(this.cmd, 'hub join', () => this.redis.join(member.ns, member.agentId, [room]));
  }

  async leave(member: HubMember, room: string): Promise<void> {
    this.mine(member)?.rooms.delete(room);
    await guarded(this.cmd, 'hub leave', () => this.redis.leave(member.ns, member.agentId, room));
  }

  rooms(member: HubMember): Promise<string[]> {
    return guarded(this.cmd, 'hub rooms', () => this.redis.rooms(member.ns, member.agentId));
  }

  async members(ns: string, room?: string): Promise<string[]> {
    const found = await guarded(this.cmd, 'hub lookup', () => this.redis.route(ns, room === undefined ? { all: true } : { room }, undefined));
    return found.map((f) => f.agentId);
  }

  async send(ns: string, target: Target, message: TeamMessage, exceptAgent?: string): Promise<number> {
    const found = await guarded(this.cmd, 'hub lookup', () => this.redis.route(ns, target, exceptAgent));
    const byInstance = new Map<string, string[]>();
    for (const f of found) {
      const agents = byInstance.get(f.instance);
      if (agents) agents.push(f.agentId);
      else byInstance.set(f.instance, [f.agentId]);
    }
    const counts = [...byInstance].map(async ([instance, agents]) => {
      if (instance === this.instance) return this.deliverHere(ns, agents, message);
      let receivers: number;
      try {
        receivers = await this.cmd.client.publish(this.redis.channel(instance), encodeBus({ type: 'deliver', ns, agents, message }));
      } catch (error) {
        throw unavailable('Redis is unreachable: the message was not sent', error);
      }
      if (receivers > 0) return agents.length;
      // A live entry whose node does not listen: it just died or lost Redis. Say so for a 1-1.
      if ('to' in target) throw unavailable(`the node holding agent "${target.to}" is not reachable`);
      return 0;
    });
    return (await Promise.all(counts)).reduce((a, b) => a + b, 0);
  }

  invoke<T = unknown>(ns: string, to: string, tool: string, args: unknown, options: InvokeOptions = {}): Call<T> {
    let id: string;
    try {
      id = options.messageId === undefined ? this.newId() : checkMessageId(options.messageId);
    } catch (error) {
      const refused = new Call<T>(tool, '', options.delivery ?? 'at-least-once');
      refused.fail(error);
      return refused;
    }
    const call = new Call<T>(tool, id, options.delivery ?? 'at-least-once');
    void this.startInvoke(call, ns, to, args, options);
    return call;
  }

  /**
   * Leaves the cluster. Politely by default (members and heartbeat removed); `abrupt` only stops
   * and drops the subscriber connection, as a crashed node would (for failover drills).
   */
  async close(options: { abrupt?: boolean } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (options.abrupt && this.ownsSub) this.sub.abandon();
    if (options.abrupt && this.ownsBeat) this.beatConn.abandon();
    clearInterval(this.timer);
    for (const remove of this.removers) remove();
    this.outgoing.failAll(new AgentSocketError('SESSION_CLOSED', 'the hub was closed'));
    this.served.abortAll('the hub was closed');
    if (!options.abrupt && this.cmd.isReady) {
      const members = [...this.local.values()].flatMap((ns) => [...ns.values()]);
      this.local.clear();
      await Promise.all(members.map((l) => this.redis.detach(l.member.ns, l.member.agentId, this.redis.entry(l.member), true).catch(() => {})));
      await this.redis.leaveCluster().catch(() => {});
    }
    if (this.ownsSub && !options.abrupt) await this.sub.close();
    if (this.ownsBeat && !options.abrupt) await this.beatConn.close();
  }

  // ---- routing ----

  private mine(member: HubMember): Local | undefined {
    const l = this.local.get(member.ns)?.get(member.agentId);
    return l?.member === member ? l : undefined;
  }

  /**
   * Delivers `message` to those of `agents` held here; resolves the count held now. A fan-out is
   * delivered DELIVER_BATCH members per turn of the event loop (the first batch at once), so the
   * heartbeat timer runs while thousands of sockets are written. One queue keeps every agent's
   * messages in order; a member gone before its turn is skipped.
   */
  private deliverHere(ns: string, agents: string[], message: TeamMessage): number {
    const here = this.local.get(ns);
    let n = 0;
    if (here) for (const agentId of agents) if (here.has(agentId)) n++;
    if (n === 0) return 0;
    this.deliveries.push({ ns, agents, message, next: 0 });
    if (!this.delivering) this.drainDeliveries();
    return n;
  }

  private drainDeliveries(): void {
    this.delivering = true;
    let budget = DELIVER_BATCH;
    while (budget > 0) {
      const job = this.deliveries[0];
      if (!job) break;
      const here = this.local.get(job.ns);
      while (budget > 0 && job.next < job.agents.length) {
        const l = here?.get(job.agents[job.next++] ?? '');
        budget--;
        if (l) l.member.deliver(job.message);
      }
      if (job.next >= job.agents.length) this.deliveries.shift();
    }
    if (this.deliveries.length > 0) setImmediate(() => this.drainDeliveries());
    else this.delivering = false;
  }

  private async startInvoke(call: Call, ns: string, to: string, args: unknown, options: InvokeOptions): Promise<void> {
    try {
      if (!this.sub.isReady) await this.sub.whenReady();
      const [found] = await guarded(this.cmd, 'hub lookup', () => this.redis.route(ns, { to }, undefined));
      if (!found) throw new ProtocolError(ErrorCode.AGENT_NOT_FOUND, `no agent "${to}" in ${ns}`);
      if (found.instance !== this.instance) {
        this.outgoing.start(call, found.instance, ns, to, args, options);
        return;
      }
      const member = this.local.get(ns)?.get(to)?.member;
      if (!member) throw new ProtocolError(ErrorCode.AGENT_NOT_FOUND, `no agent "${to}" in ${ns}`);
      const { to: _to, ...rest } = options;
      await pipe(member.invoke(call.tool, args, rest), call);
    } catch (error) {
      call.fail(error instanceof ProtocolError || error instanceof AgentSocketError ? error : unavailable('Redis is unreachable: the call was not routed', error));
    }
  }

  private onBus(bytes: Buffer): void {
    let m: BusMessage;
    try {
      m = decodeBus(bytes);
    } catch (error) {
      this.report(error);
      return;
    }
    switch (m.type) {
      case 'deliver':
        this.deliverHere(m.ns, m.agents, m.message);
        return;
      case 'invoke':
        this.served.run(m, this.local.get(m.ns)?.get(m.to)?.member);
        return;
      case 'interrupt':
        this.served.interrupt(m);
        return;
      case 'chunk':
      case 'complete':
      case 'error':
        this.outgoing.answer(m);
        return;
      case 'handoff':
        this.handoffs.serve(m);
        return;
      case 'handed':
        this.handoffs.handed(m);
        return;
    }
  }

  // ---- liveness ----

  /** Heartbeat, then everything this node holds written again (Redis may have restarted empty). */
  private async register(): Promise<void> {
    // The first command after a (re)connect, on the connection whose ready hook this is.
    await this.redis.heartbeat(true);
    await this.restore();
  }

  /**
   * Writes every member this node holds again, one pass at a time: a call while a pass runs asks
   * for one more pass after it and resolves when that is done. Idempotent (restore mode never
   * takes an agent another live node holds).
   */
  private restore(): Promise<void> {
    if (this.restoring) {
      this.restoreAgain = true;
      return this.restoring;
    }
    const run = async () => {
      try {
        do {
          this.restoreAgain = false;
          await this.restorePass();
        } while (this.restoreAgain && !this.closed);
      } finally {
        this.restoring = undefined;
      }
    };
    this.restoring = run();
    return this.restoring;
  }

  /** One pass, in batches of RESTORE_BATCH members that yield to the event loop between them. */
  private async restorePass(): Promise<void> {
    for (const [key, o] of this.orphans) {
      await this.redis.detach(o.ns, o.agentId, o.entry);
      this.orphans.delete(key);
    }
    const locals = [...this.local.values()].flatMap((ns) => [...ns.values()]);
    for (let i = 0; i < locals.length && !this.closed; i += RESTORE_BATCH) {
      if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      await Promise.all(
        locals.slice(i, i + RESTORE_BATCH).map(async (l) => {
          // Detached since the pass began: writing it again would leave a stale entry.
          if (this.mine(l.member) !== l) return;
          const got = await this.redis.attach(l.member, 'restore');
          // Another live node holds the agent now; its session store fences this one.
          if (!got || 'owner' in got) return;
          for (const r of got.rooms) l.rooms.add(r);
          await this.redis.join(l.member.ns, l.member.agentId, l.rooms);
        }),
      );
    }
  }

  /**
   * One heartbeat, on its own connection and never overlapping the previous one. Registration
   * work it asks for runs beside it, not inside it, so the next beats are not held up.
   */
  private async beat(): Promise<void> {
    if (this.closed || this.beating || !this.beatConn.isReady) return;
    this.beating = true;
    try {
      // 'late': expired but not reaped, so every entry is still there; only 'gone' needs them again.
      if ((await this.redis.heartbeat()) === 'gone' && this.cmd.isReady) this.restoreInBackground();
      await this.sweep();
      if (Date.now() - this.lastKeyRefresh > this.keyTtlMs / 4 && this.cmd.isReady) {
        this.lastKeyRefresh = Date.now();
        this.restoreInBackground();
      }
    } catch (error) {
      this.report(error);
    } finally {
      this.beating = false;
    }
  }

  private restoreInBackground(): void {
    this.restore().catch((error: unknown) => this.report(error));
  }

  /** Fails calls waiting on dead nodes and interrupts calls whose caller's node died. */
  private async sweep(): Promise<void> {
    const dead = await this.redis.dead([...new Set([...this.outgoing.targets(), ...this.served.callers()])]);
    if (dead.size === 0) return;
    this.outgoing.failAll(unavailable('the node holding the agent stopped'), dead);
    this.served.abortAll("the caller's node stopped", dead);
  }

  /** A connection dropped: answers in flight may be lost, so calls across nodes fail now. */
  private lostRedis(): void {
    this.outgoing.failAll(unavailable('lost the Redis connection during a call routed to another node'));
    this.served.abortAll('lost the Redis connection');
  }

  private report(error: unknown): void {
    this.onError?.(error instanceof Error ? error : new Error(String(error)));
  }
}

/** Mirrors a local call into the Call the caller holds. */
async function pipe(inner: Call, outer: Call): Promise<void> {
  let seq = 0;
  try {
    for await (const data of inner) outer.pushChunk(seq++, data);
    const r = await inner.result;
    outer.complete(r.value, r.metrics);
  } catch (error) {
    outer.fail(error);
  }
}
