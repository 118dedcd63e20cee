import { type Agent, isAgent } from './agent.js';
import type { Call, InvokeOptions } from './call.js';
import { type Codec, createCodec } from './codec.js';
import { type DedupStore, MemoryDedupStore } from './dedup.js';
import {
  DEFAULT_ERROR_EVENT_INTERVAL_MS,
  DEFAULT_ERROR_EVENTS_PER_INTERVAL,
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_HEARTBEAT_MS,
  DEFAULT_MAX_AGENT_ID_LENGTH,
  DEFAULT_MAX_FRAME_BYTES,
  DEFAULT_MAX_HELLO_BYTES,
  DEFAULT_MAX_INFLIGHT,
} from './defaults.js';
import { Emitter } from './emitter.js';
import { ErrorLimiter } from './error-limit.js';
import { AgentSocketError, ProtocolError } from './errors.js';
import * as CloseCode from './close-code.js';
import * as ErrorCode from './error-code.js';
import type { ClientHello } from './hello.js';
import { HeartbeatClock } from './heartbeat.js';
import { type Hub, MemoryHub, type Target, type TeamMessage } from './hub.js';
import { ulidFactory } from './ids.js';
import type { Delivery } from './messages.js';
import { PROTOCOL_VERSION } from './opcodes.js';
import type { Peer } from './peer.js';
import { type PeerSettings, peerSettings } from './peer-options.js';
import { admit, randomToken, refuseConnection, sendHelloReply, startHandshake } from './server-handshake.js';
import { serverSessionHost } from './server-host.js';
import { findResumable, newSessionRecord, orphanedRequests, restoreTaken } from './server-resume.js';
import { type AgentServerOptions, type SessionInfo, sessionLimits, slowConsumerBound } from './server-options.js';
import { ServerSession, type SessionHost } from './server-session.js';
import type { SessionRecord, StoredSession } from './session-store.js';
import { SessionRegistry } from './session-registry.js';
import { addTeamTools, mayClaimAgentId, type NamespaceRule, type TeamCaller } from './teams.js';
import type { ToolContext } from './tool.js';
import { ToolRegistry } from './tool-registry.js';
import type { ConnectionInfo, Principal, Transport } from './transport.js';

export type { AgentServerOptions, SessionInfo } from './server-options.js';

type ServerEvents = {
  session: [SessionInfo];
  resume: [SessionInfo];
  sessionEnd: [SessionInfo, Error];
  error: [Error];
};

/** Serves one Agent to any number of clients over any transport that hands it connections. */
export class AgentServer extends Emitter<ServerEvents> {
  readonly agent: Agent;
  readonly hub: Hub;
  readonly nodeId: string;
  private readonly options: AgentServerOptions;
  /** Sessions by id, connected or waiting to be resumed, with their limits and TTLs. */
  private readonly sessions: SessionRegistry<ServerSession>;
  /** Connections still in the handshake. */
  private readonly pending = new Set<Transport>();
  private readonly dedup: DedupStore;
  private readonly newId = ulidFactory();
  private readonly codecs: string[];
  /** One codec per name, shared by every session (they keep no state between calls). */
  private readonly codecByName = new Map<string, Codec>();
  /** The agent's tools plus the reserved team tools, which every session's registry layers over. */
  private readonly sessionBase: ToolRegistry;
  /** One heartbeat timer per period for all sessions, not one per session. */
  private readonly heartbeats = new HeartbeatClock();
  /** What every session reports back through (shared, so a session holds no callbacks). */
  private readonly host: SessionHost;
  private closing = false;
  private readonly errors: ErrorLimiter | undefined;
  private readonly store: AgentServerOptions['sessions'];
  /** What every session shares (limits, the heartbeat clock, the slow-consumer bound, the dedup store, the host): one object, not a copy in each. */
  private readonly sessionSettings: PeerSettings;

  constructor(agent: Agent, options: AgentServerOptions = {}) {
    super();
    if (!isAgent(agent)) {
      const got = typeof agent === 'object' && agent !== null ? `an object with keys ${Object.keys(agent).join(', ') || '(none)'}` : String(agent);
      throw new TypeError(`AgentServer takes the agent made by defineAgent() as its first argument, got ${got}`);
    }
    this.agent = agent;
    this.options = options;
    this.dedup = options.dedup ?? new MemoryDedupStore();
    this.codecs = options.codecs ?? ['msgpack', 'json'];
    this.hub = options.teams?.hub ?? new MemoryHub();
    this.store = options.sessions;
    this.nodeId = options.nodeId ?? randomToken().slice(0, 12);
    this.errors =
      options.errorEvents === false
        ? undefined
        : new ErrorLimiter((e) => this.emit('error', e), options.errorEvents ?? {}, {
            max: DEFAULT_ERROR_EVENTS_PER_INTERVAL,
            intervalMs: DEFAULT_ERROR_EVENT_INTERVAL_MS,
          });
    this.sessions = new SessionRegistry<ServerSession>(sessionLimits(options), (session, error) => this.endSession(session, error));
    for (const c of this.codecs) this.codecByName.set(c, createCodec(c)); // fails fast on an unknown codec
    this.sessionBase = new ToolRegistry(agent.registry);
    addTeamTools(this.sessionBase, (ctx) => this.teamCaller(ctx), this.hub, this.newId);
    // Sessions that serve the shared registry as it is learn of its changes from here (one that
    // defined a tool of its own hears them through its own registry).
    this.sessionBase.onChange((added, removed) => {
      for (const s of this.sessions.all()) if (s.sharedRegistry) s.announceTools(added, removed);
    });
    this.host = serverSessionHost({
      hub: this.hub,
      agentName: agent.name,
      endSession: (session, error, forget) => this.endSession(session, error, forget),
      dropSession: (session) => this.dropSession(session),
      report: (error) => this.report(error),
    });
    this.sessionSettings = peerSettings({
      side: 'server',
      maxFrame: this.maxFrameBytes,
      maxInflight: this.maxInflight,
      heartbeats: this.heartbeats,
      slowConsumer: slowConsumerBound(options),
      dedup: this.dedup,
      dedupTtlMs: options.dedupTtlMs,
      dedupScope: agent.name, // the host adds the principal, when an exactly-once call needs it
      maxPeerToolBytes: options.maxClientToolBytes,
      newId: this.newId,
      host: this.host,
      // A session's own registry over it is made when it defines its first tool.
      sharedTools: this.sessionBase,
    });
  }

  private get maxInflight(): number {
    return this.options.maxInflight ?? DEFAULT_MAX_INFLIGHT;
  }

  /** Every `error` event goes through here, held to options.errorEvents. */
  private report(error: unknown): void {
    const e = error instanceof Error ? error : new Error(String(error));
    if (this.errors) this.errors.report(e);
    else this.emit('error', e);
  }

  /** The session a team tool call came from; it exists for as long as its calls run. */
  private teamCaller(ctx: ToolContext): TeamCaller {
    const session = this.sessions.get(ctx.sessionId);
    if (!session) throw new ProtocolError(ErrorCode.SESSION_EXPIRED, 'the session is over');
    return session;
  }

  get maxFrameBytes(): number {
    return this.options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  }

  /** Largest HELLO payload accepted (AgentServerOptions.maxHelloBytes); transports bound what they read before it. */
  get maxHelloBytes(): number {
    return this.options.maxHelloBytes ?? DEFAULT_MAX_HELLO_BYTES;
  }

  /** Sessions, connected or waiting to be resumed. */
  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Runs the authenticate hook (transports call it at their upgrade). */
  async authenticate(token: string | undefined, info: ConnectionInfo): Promise<Principal | undefined> {
    if (!this.options.authenticate) return ANONYMOUS;
    return this.options.authenticate(token, info);
  }

  get requiresAuth(): boolean {
    return this.options.authenticate !== undefined;
  }

  /** Takes a freshly accepted transport through the handshake into a new or resumed session. */
  accept(accepted: Transport, info: ConnectionInfo): void {
    const transport = this.options.instrumentation?.connection?.(accepted, info) ?? accepted;
    if (this.closing) {
      void transport.close(CloseCode.SERVER_SHUTDOWN, 'server is shutting down');
      return;
    }
    startHandshake(transport, {
      timeoutMs: this.options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
      maxHelloBytes: this.maxHelloBytes,
      pending: this.pending,
      handshake: (hello) => this.handshake(transport, info, hello),
      report: (error) => this.report(error),
    });
  }

  /** HELLO read: admits the client, then resumes its session, takes it over from the store, or opens a new one. */
  private async handshake(transport: Transport, info: ConnectionInfo, hello: ClientHello): Promise<void> {
    const admission = await admit(hello, info, {
      offer: {
        version: PROTOCOL_VERSION,
        codecs: this.codecs,
        heartbeatMs: this.options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
        batch: this.options.batch !== false && transport.enableBatching !== undefined,
        piggyback: this.options.piggybackAcks !== false,
        lean: this.options.lean !== false,
        namespaces: this.options.teams?.namespaces,
        connectionNamespace: info.namespace,
      },
      authenticate: (token, i) => this.authenticate(token, i),
      maxAgentIdLength: this.options.maxAgentIdLength ?? DEFAULT_MAX_AGENT_ID_LENGTH,
    });
    if (!admission.ok) return refuseConnection(transport, admission);
    if (!transport.open) return;
    const { principal, negotiated: n } = admission;
    const ns = n.namespace;
    const resume = hello.resume;
    const found = await findResumable(hello, ns, principal, resume && this.sessions.get(resume.sessionId), this.store);
    let session: ServerSession | undefined;
    let stored: StoredSession | undefined;
    if (found && 'live' in found) {
      session = found.live;
      this.sessions.undrop(session);
      const old = session.replaceTransport();
      if (old) void old.close(CloseCode.NORMAL, 'session resumed on another connection');
      await this.store?.claim(session.sessionId, this.nodeId);
    } else if (found) {
      stored = found.stored;
    }
    let resumed = session !== undefined;
    // A new session takes its place at once, so handshakes of one principal running together cannot all pass.
    const reserved = !session && !stored;
    if (reserved && !this.sessions.reserve(principal)) {
      const message = `"${principal.id}" already holds ${this.sessions.perPrincipalLimit} sessions here (connected or waiting to be resumed)`;
      return refuseConnection(transport, { code: ErrorCode.TOO_MANY_REQUESTS, message, closeCode: CloseCode.SERVER_SHUTDOWN });
    }
    if (!session) {
      const record = stored?.record ?? newSessionRecord(this.newId(), randomToken(), principal, hello, n);
      const { store } = this;
      const taken = stored;
      const restore =
        store && taken && resume
          ? async (peer: Peer) => {
              stored = await restoreTaken(peer, store, taken, resume.lastReceived);
            }
          : undefined;
      try {
        session = await this.createSession(record, n.rule, restore, reserved);
      } catch (error) {
        if (reserved) this.sessions.release(principal);
        if (!(error instanceof ProtocolError)) throw error;
        const closeCode = error.code === ErrorCode.CONFLICT ? CloseCode.CONFLICT : CloseCode.FORBIDDEN;
        return refuseConnection(transport, { code: error.code, message: error.message, closeCode });
      }
      if (restore) resumed = true;
      if (!transport.open) {
        this.endSession(session, new AgentSocketError('SESSION_CLOSED', 'connection closed during handshake'));
        return;
      }
    }
    const agent = { name: this.agent.name, ...(this.agent.version ? { version: this.agent.version } : {}), tools: session.registryTools() };
    sendHelloReply(transport, session, admission.negotiated, { resumed, agent, maxFrame: this.maxFrameBytes, maxInflight: this.maxInflight });
    session.attach(transport, resumed ? (resume?.lastReceived ?? 0) : 0, n.piggyback, n.lean);
    this.hub.connected?.(session, { transport, info, codec: session.codec.name });
    if (stored) {
      // Calls the old owner made to this client (running there, or replayed just now) have no caller here.
      session.adoptOrphans(orphanedRequests(stored, resume?.busy));
      session.resumeIncoming(stored.incoming);
    }
    const summary = { id: session.sessionId, principal, connected: true, namespace: ns, agentId: session.agentId };
    this.emit(resumed ? 'resume' : 'session', summary);
  }

  private async createSession(record: SessionRecord, rule: NamespaceRule, restore?: (peer: Peer) => Promise<void>, reserved = false): Promise<ServerSession> {
    const { id, principal, namespace: ns, agentId } = record;
    const { hub, store } = this;
    const session = new ServerSession(
      {
        settings: this.sessionSettings,
        codec: this.codecByName.get(record.codec) ?? createCodec(record.codec),
        sessionId: id,
        principal,
        peerMaxFrame: record.peerMaxFrame,
        peerMaxInflight: record.peerMaxInflight,
        heartbeatMs: record.heartbeatMs,
        window: this.options.window,
        journal: store?.journal(id, this.nodeId),
      },
      // Messages that reach a taken-over session before its state is restored wait for it.
      { principal, ns, agentId, resumeToken: record.resumeToken, rule, restoring: restore !== undefined },
    );
    session.setRemoteTools(record.remoteTools);
    // A session of the same agent waiting to be resumed gives way to the new connection, if the
    // agent id is the new principal's to take (its own, or the namespace's rule allows it).
    for (const other of this.sessions.ofAgent(ns, agentId)) {
      if (other.attached) continue;
      if (!(await mayClaimAgentId(rule, principal, agentId, ns, other.principal.id))) {
        session.close(new ProtocolError(ErrorCode.CONFLICT, 'agent id held by another principal'));
        throw new ProtocolError(ErrorCode.CONFLICT, `agent id "${agentId}" is held by another principal's session in ${ns}`);
      }
      this.endSession(other, new ProtocolError(ErrorCode.CONFLICT, 'replaced by a new session of the same agent'));
    }
    try {
      await hub.attach(session);
      if (store && !restore) await store.create(record);
      await store?.claim(id, this.nodeId);
      // Taken over from another process: restore after the claim fenced it, so its last writes count.
      if (restore) await restore(session);
      session.restored();
    } catch (error) {
      session.close(error instanceof Error ? error : new Error(String(error)));
      await hub.detach(session).catch(() => {});
      throw error;
    }
    this.sessions.add(session, reserved);
    return session;
  }

  /** The session's connection is gone: it waits to be resumed (here, or from the store elsewhere). */
  private dropSession(session: ServerSession): void {
    if (!this.sessions.has(session)) return;
    this.sessions.drop(session);
    if (!this.sessions.has(session)) return; // the bytes kept by dropped sessions ended it at once
    void this.store?.expire(session.sessionId, this.sessions.ttlMs, this.nodeId).catch(() => {});
  }

  private endSession(session: ServerSession, error: Error, forget = true): void {
    if (!this.sessions.remove(session)) return;
    const id = session.sessionId;
    // Not forgetting means another process may resume it: hand the running requests over.
    session.close(error, !forget);
    if (!forget) void this.store?.expire(id, this.sessions.ttlMs, this.nodeId).catch(() => {});
    if (forget) void this.store?.delete(id, this.nodeId).catch((e: unknown) => this.report(e));
    void this.hub.detach(session, { hold: !forget }).catch((e: unknown) => this.report(e));
    this.emit(
      'sessionEnd',
      { id, principal: session.principal, connected: false, namespace: session.ns, agentId: session.agentId },
      error,
    );
  }

  /** Sends a team message from the server to one agent, a room, or a whole namespace. */
  send(
    ns: string,
    target: Target,
    event: string,
    data: unknown,
    options: { delivery?: Delivery; from?: string } = {},
  ): Promise<number> {
    const message: TeamMessage = {
      id: this.newId(),
      event,
      data,
      from: options.from ?? this.agent.name,
      delivery: options.delivery ?? 'at-least-once',
    };
    if ('room' in target) message.room = target.room;
    return this.hub.send(ns, target, message);
  }

  /** Invokes a tool served by a connected agent (server → agent). */
  invokeAgent<T = unknown>(ns: string, agentId: string, tool: string, args?: unknown, options?: InvokeOptions): Call<T> {
    return this.hub.invoke<T>(ns, agentId, tool, args ?? {}, options);
  }

  /** Invokes a tool on the client of one session (server → client). */
  peerOf(sessionId: string): ServerSession | undefined {
    return this.sessions.get(sessionId);
  }

  /** Ends one session now: its calls settle, its client is closed with 1000 and cannot resume it. False if there is no such session. */
  closeSession(sessionId: string, reason = 'session closed by the server'): boolean {
    const session = this.sessions.get(sessionId);
    if (!session) return false;
    this.endSession(session, new AgentSocketError('SESSION_CLOSED', reason));
    return true;
  }

  /**
   * Drains: tells every client to go away (GOAWAY) so it reconnects elsewhere, then ends all
   * sessions and closes their transports.
   */
  close(): void {
    this.closing = true;
    this.errors?.flush();
    this.sessions.close();
    for (const t of this.pending) void t.close(CloseCode.SERVER_SHUTDOWN, 'server is shutting down');
    for (const s of this.sessions.all()) {
      s.goAway(ErrorCode.UNAVAILABLE, 'server is shutting down', 0);
      // With a shared store the session stays there, so its client resumes it on another node.
      this.endSession(s, new AgentSocketError('SESSION_CLOSED', 'server closed'), this.store === undefined);
    }
  }
}

/** Who a connection is when the server has no authenticate hook: one object for every session. */
const ANONYMOUS: Principal = Object.freeze({ id: 'anonymous' });
