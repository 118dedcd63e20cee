import { type Agent, isAgent } from './agent.js';
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
  DEFAULT_MAX_RETAINED_REPLAY_BYTES,
  DEFAULT_MAX_SESSIONS_PER_PRINCIPAL,
  DEFAULT_SESSION_TTL_MS,
  DEFAULT_SLOW_CONSUMER_BYTES,
  DEFAULT_SLOW_CONSUMER_MS,
} from './defaults.js';
import { type ErrorEventLimit, ErrorLimiter } from './error-limit.js';
import { AgentSocketError, CloseCode, ErrorCode, ProtocolError } from './errors.js';
import { decodeFrame, encodeFrame, HEADER_SIZE, peekHeader } from './frame.js';
import { type ClientHello, decodeClientHello, encodeServerHello } from './hello.js';
import { negotiate } from './negotiate.js';
import { HeartbeatClock } from './heartbeat.js';
import { ulidFactory } from './ids.js';
import { Flag, FrameType, PROTOCOL_VERSION } from './opcodes.js';
import type { Peer, SlowConsumerBound } from './peer.js';
import type { WindowOptions } from './reliable.js';
import { type ToolContext, ToolRegistry } from './tool.js';
import type { ConnectionInfo, Principal, Transport } from './transport.js';
import { Emitter } from './emitter.js';
import type { SessionRecord, SessionStore, StoredSession } from './session-store.js';
import type { Call, InvokeOptions } from './call.js';
import { type Hub, MemoryHub, type Target, type TeamMessage } from './hub.js';
import { ServerSession, type SessionHost } from './server-session.js';
import type { Delivery } from './messages.js';
import type { ServerInstrumentation } from './instrumentation.js';
import { addTeamTools, DEFAULT_NAMESPACE, mayClaimAgentId, type NamespaceRule, type TeamCaller, type TeamsOptions } from './teams.js';

export interface AgentServerOptions {
  /**
   * Decides who a connection is. Called with the bearer token from the transport (e.g. the
   * Authorization header at the WebSocket upgrade) or, for browsers, from HELLO. Return
   * undefined to refuse (401). When absent, every connection is accepted anonymously.
   */
  authenticate?: (token: string | undefined, info: ConnectionInfo) => Principal | undefined | Promise<Principal | undefined>;
  /** Codecs the server speaks, preferred first. @default ['msgpack', 'json'] */
  codecs?: string[];
  /** Largest frame payload accepted, bytes. @default 16 MiB */
  maxFrameBytes?: number;
  /** Requests a client may have running here at once. @default 256 */
  maxInflight?: number;
  /** Heartbeat interval offered to clients (ms); the smaller of the two proposals wins. @default 30000 */
  heartbeatMs?: number;
  /**
   * Largest HELLO payload accepted, bytes. A HELLO arrives before its sender is authenticated, so
   * it is held to this, far below `maxFrameBytes`; a larger one is refused with ERROR 413 and close
   * 4413 before it is parsed. Transports also cut a connection that sends more than this (plus
   * their framing) before its HELLO has arrived whole. @default 256 KiB
   */
  maxHelloBytes?: number;
  /**
   * A client that stops reading: when its connection's outgoing backlog (the transport's
   * bufferedAmount) is above `slowConsumerBytes` at every heartbeat check for `slowConsumerMs`
   * and the client acknowledged nothing in that time, the connection is closed with 4429
   * SLOW_CONSUMER, whatever else the client sends (PINGs included). A client that still
   * acknowledges is slow, not stopped, and is left alone. Checked every heartbeat interval, so
   * the cut comes within `slowConsumerMs` + `hb`. The session stays resumable. @default 8 MiB
   */
  slowConsumerBytes?: number;
  /** See `slowConsumerBytes`; 0 disables the check. @default 30000 */
  slowConsumerMs?: number;
  /** Time allowed between connect and HELLO. @default 10000 */
  handshakeTimeoutMs?: number;
  /** How long a disconnected session waits for its client to resume. @default 60000 */
  sessionTtlMs?: number;
  /** Send window per session (bounds the replay buffer). */
  window?: WindowOptions;
  /** Where exactly-once outcomes are kept. @default a MemoryDedupStore */
  dedup?: DedupStore;
  /** How long exactly-once outcomes are kept, ms. @default 300000 */
  dedupTtlMs?: number;
  /** Namespaces, rooms and the hub that connects agents of a team. */
  teams?: TeamsOptions;
  /** Keeps session and replay state where another process can resume it. @default memory only */
  sessions?: SessionStore;
  /** This process's name as a session owner. @default a random id */
  nodeId?: string;
  /**
   * Agree to several frames per transport message when the client offers it and the transport
   * can (the WebSocket transport; protocol.md §2). @default true
   */
  batch?: boolean;
  /**
   * Agree to acknowledgements carried by other frames when the client offers it (protocol.md §11).
   * A server with a session store takes them but sends standalone ACKs, for what is journaled. @default true
   */
  piggybackAcks?: boolean;
  /**
   * How many `error` events go out one by one: at most `max` per `intervalMs`, then one
   * `ERRORS_SUPPRESSED` summary with the count when the interval ends (protocol.md §21). `false`
   * emits every error. @default { max: 10, intervalMs: 10000 }
   */
  errorEvents?: ErrorEventLimit | false;
  /**
   * Sessions one principal may hold here, connected or waiting to be resumed; a new session
   * beyond it is refused with ERROR 429, close 4503 (try later) (a resume is not a new session). Not applied
   * to the one anonymous principal of a server without `authenticate` unless set. @default 1000
   */
  maxSessionsPerPrincipal?: number;
  /**
   * Unacknowledged bytes all sessions waiting to be resumed may keep together; past it the
   * longest-dropped ones end at once, as if expired (a resume then gets `resumed: false`). Each
   * session alone is bounded by its send window (`window.maxBytes`, 64 MiB). @default 256 MiB
   */
  maxRetainedReplayBytes?: number;
  /**
   * Largest tool list a client may build up with TOOL_DEF, bytes (estimated); a TOOL_DEF past it
   * is not applied and gets ERROR 413 on request 0 (the connection stays open). The list in
   * HELLO is bounded by maxHelloBytes. @default 1 MiB
   */
  maxClientToolBytes?: number;
  /** Longest agent id a HELLO may ask for, characters; longer gets ERROR 400, close 4400. @default 256 */
  maxAgentIdLength?: number;
  /** Observes connections (frames, bytes), e.g. `@agentsocket/otel`'s; sessions are observed through the events. @default none */
  instrumentation?: ServerInstrumentation;
}

export interface SessionInfo {
  readonly id: string;
  readonly principal: Principal | undefined;
  readonly connected: boolean;
  readonly namespace: string;
  readonly agentId: string;
}

type ServerEvents = {
  session: [SessionInfo];
  resume: [SessionInfo];
  sessionEnd: [SessionInfo, Error];
  error: [Error];
};

/** Serves one Agent to any number of clients over any transport that hands it connections. */
export class AgentServer extends Emitter<ServerEvents> {
  readonly agent: Agent;
  private readonly options: AgentServerOptions;
  private readonly sessions = new Map<string, ServerSession>();
  /** Sessions waiting to be resumed, longest-dropped first. */
  private readonly dropped = new Set<ServerSession>();
  private retainedTimer: ReturnType<typeof setInterval> | undefined;
  /** Sessions held per principal id (connected or waiting to be resumed). */
  private readonly perPrincipal = new Map<string, number>();
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
  readonly hub: Hub;
  readonly nodeId: string;
  private readonly store: SessionStore | undefined;
  /** One bound for every session (PeerOptions.slowConsumer). */
  private readonly slowConsumer: SlowConsumerBound | undefined;

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
    const slowMs = options.slowConsumerMs ?? DEFAULT_SLOW_CONSUMER_MS;
    this.slowConsumer = slowMs > 0 ? { bytes: options.slowConsumerBytes ?? DEFAULT_SLOW_CONSUMER_BYTES, ms: slowMs } : undefined;
    for (const c of this.codecs) this.codecByName.set(c, createCodec(c)); // fails fast on an unknown codec
    this.sessionBase = new ToolRegistry(agent.registry);
    addTeamTools(this.sessionBase, (ctx) => this.teamCaller(ctx), this.hub, this.newId);
    this.host = {
      hub: this.hub,
      // A client that closes normally is done with the session; anything else may come back.
      detached: (session, info) => {
        if (!(session instanceof ServerSession)) return;
        if (info.code === CloseCode.NORMAL && !info.local) this.endSession(session, new AgentSocketError('SESSION_CLOSED', 'client closed the session'));
        else this.scheduleExpiry(session);
      },
      // Another process resumed this session: stop serving it here, leave its stored state alone.
      journalFailed: (session, error) => {
        if (session instanceof ServerSession) this.endSession(session, error, false);
      },
      error: (_session, error) => this.report(error),
      // Exactly-once keys of one agent and one principal: callers cannot read each other's outcomes.
      dedupScope: (session) => `${this.agent.name}:${session.principal?.id ?? ''}`,
      route: (session, to, tool, args, options) =>
        this.hub.invoke(session instanceof ServerSession ? session.ns : DEFAULT_NAMESPACE, to, tool, args, options),
    };
  }

  /** The per-principal session limit, or Infinity for the shared anonymous principal of a server without authenticate. */
  private get sessionsPerPrincipal(): number {
    if (!this.options.authenticate && this.options.maxSessionsPerPrincipal === undefined) return Number.POSITIVE_INFINITY;
    return this.options.maxSessionsPerPrincipal ?? DEFAULT_MAX_SESSIONS_PER_PRINCIPAL;
  }

  private atSessionLimit(principal: Principal): boolean {
    return (this.perPrincipal.get(principal.id) ?? 0) >= this.sessionsPerPrincipal;
  }

  private countSession(principal: Principal, delta: 1 | -1): void {
    const n = (this.perPrincipal.get(principal.id) ?? 0) + delta;
    if (n > 0) this.perPrincipal.set(principal.id, n);
    else this.perPrincipal.delete(principal.id);
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
    this.pending.add(transport);
    const timer = setTimeout(
      () => void transport.close(CloseCode.HANDSHAKE_TIMEOUT, 'no HELLO in time'),
      this.options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
    );
    const refuse = (code: number, message: string, closeCode: number) => {
      try {
        transport.send(encodeFrame(FrameType.ERROR, 0, 0, new TextEncoder().encode(JSON.stringify({ code, message }))));
      } catch {
        // already closed
      }
      void transport.close(closeCode, message.slice(0, 120));
    };
    transport.onclose = () => {
      clearTimeout(timer);
      this.pending.delete(transport);
    };
    transport.onframe = (bytes) => {
      transport.onframe = () => {}; // one HELLO; anything before the reply is a client bug
      let hello: ClientHello;
      if (bytes.byteLength > HEADER_SIZE + this.maxHelloBytes) {
        const message = `HELLO of ${bytes.byteLength - HEADER_SIZE} bytes exceeds the server's limit of ${this.maxHelloBytes}`;
        refuse(ErrorCode.FRAME_TOO_LARGE, message, CloseCode.FRAME_TOO_LARGE);
        return;
      }
      try {
        const frame = decodeFrame(bytes);
        if (frame.type !== FrameType.HELLO || frame.flags & Flag.REPLY) {
          refuse(ErrorCode.BAD_FRAME, 'the first frame must be HELLO', CloseCode.BAD_FRAME);
          return;
        }
        hello = decodeClientHello(frame.payload);
      } catch (error) {
        refuse(ErrorCode.BAD_FRAME, `bad HELLO: ${error instanceof Error ? error.message : String(error)}`, CloseCode.BAD_FRAME);
        return;
      }
      void this.handshake(transport, info, hello, refuse).then(
        () => {
          clearTimeout(timer);
          this.pending.delete(transport);
        },
        (error: unknown) => {
          clearTimeout(timer);
          this.report(error);
          refuse(ErrorCode.UNAVAILABLE, 'handshake failed', CloseCode.SERVER_SHUTDOWN);
        },
      );
    };
    transport.start();
  }

  private async handshake(
    transport: Transport,
    info: ConnectionInfo,
    hello: ClientHello,
    refuse: (code: number, message: string, closeCode: number) => void,
  ): Promise<void> {
    const n = negotiate(hello, {
      version: PROTOCOL_VERSION,
      codecs: this.codecs,
      heartbeatMs: this.options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
      batch: this.options.batch !== false && transport.enableBatching !== undefined,
      piggyback: this.options.piggybackAcks !== false,
      namespaces: this.options.teams?.namespaces,
      connectionNamespace: info.namespace,
    });
    if (!n.ok && n.stage === 'hello') return refuse(n.code, n.message, n.closeCode);
    const principal = info.principal ?? (await this.authenticate(hello.token, info));
    if (!principal) return refuse(ErrorCode.UNAUTHORIZED, 'missing or invalid token', CloseCode.UNAUTHORIZED);
    if (!n.ok) return refuse(n.code, n.message, n.closeCode);
    const { namespace: ns, rule } = n;
    if (rule.authorize && !(await rule.authorize(principal, ns))) {
      return refuse(ErrorCode.FORBIDDEN, `"${principal.id}" may not use namespace ${ns}`, CloseCode.FORBIDDEN);
    }
    const agentIdLimit = this.options.maxAgentIdLength ?? DEFAULT_MAX_AGENT_ID_LENGTH;
    if (hello.agent !== undefined && hello.agent.length > agentIdLimit) {
      return refuse(ErrorCode.BAD_FRAME, `HELLO.agent is ${hello.agent.length} characters; the limit is ${agentIdLimit}`, CloseCode.BAD_FRAME);
    }
    if (!transport.open) return;

    let session: ServerSession | undefined;
    let resumed = false;
    let stored: StoredSession | undefined;
    const resume = hello.resume;
    if (resume) {
      const found = this.sessions.get(resume.sessionId);
      if (
        found &&
        hello.codecs.includes(found.codec.name) &&
        found.ns === ns &&
        sameToken(found.resumeToken, resume.resumeToken) &&
        found.principal.id === principal.id
      ) {
        session = found;
        resumed = true;
        if (found.expiry) clearTimeout(found.expiry);
        found.expiry = undefined;
        this.dropped.delete(found);
        const old = found.replaceTransport();
        if (old) void old.close(CloseCode.NORMAL, 'session resumed on another connection');
        await this.store?.claim(found.sessionId, this.nodeId);
      } else if (!found && this.store) {
        // Another process owned this session (it may have died): take it over from the store.
        const s = await this.store.load(resume.sessionId);
        if (s && hello.codecs.includes(s.record.codec) && s.record.namespace === ns && sameToken(s.record.resumeToken, resume.resumeToken) && s.record.principal.id === principal.id) {
          stored = s;
        }
      }
    }
    // A new session takes its place at once, so handshakes of one principal running together cannot all pass.
    const reserved = !session && !stored;
    if (reserved) {
      if (this.atSessionLimit(principal)) {
        const limit = this.sessionsPerPrincipal;
        refuse(ErrorCode.TOO_MANY_REQUESTS, `"${principal.id}" already holds ${limit} sessions here (connected or waiting to be resumed)`, CloseCode.SERVER_SHUTDOWN);
        return;
      }
      this.countSession(principal, 1);
    }
    if (!session) {
      const record: SessionRecord = stored?.record ?? {
        id: this.newId(),
        resumeToken: randomToken(),
        principal,
        namespace: ns,
        agentId: hello.agent ?? '',
        codec: n.codec,
        peerMaxFrame: hello.maxFrame,
        peerMaxInflight: hello.maxInflight,
        heartbeatMs: n.heartbeatMs,
        remoteTools: hello.tools ?? [],
      };
      if (record.agentId === '') record.agentId = record.id;
      const store = this.store;
      const taken = stored;
      // Runs once the previous owner is fenced: the state it stored last becomes this session's.
      const restore =
        store && taken && resume
          ? async (peer: Peer) => {
              const latest = (await store.load(record.id)) ?? taken;
              peer.chan.restore(latest.nextSq, latest.lastReceived, latest.frames, resume.lastReceived);
              stored = latest;
            }
          : undefined;
      try {
        session = await this.createSession(record, rule, restore, reserved);
      } catch (error) {
        if (reserved) this.countSession(principal, -1);
        if (!(error instanceof ProtocolError)) throw error;
        refuse(error.code, error.message, error.code === ErrorCode.CONFLICT ? CloseCode.CONFLICT : CloseCode.FORBIDDEN);
        return;
      }
      if (restore) resumed = true;
      if (!transport.open) {
        this.endSession(session, new AgentSocketError('SESSION_CLOSED', 'connection closed during handshake'));
        return;
      }
    }
    const { batch, piggyback } = n;
    const reply = encodeServerHello({
      version: PROTOCOL_VERSION,
      codec: session.codec.name,
      maxFrame: this.maxFrameBytes,
      heartbeatMs: session.heartbeatMs,
      maxInflight: this.options.maxInflight ?? DEFAULT_MAX_INFLIGHT,
      sessionId: session.sessionId,
      resumeToken: session.resumeToken,
      resumed,
      lastReceived: session.chan.lastReceived,
      agent: { name: this.agent.name, ...(this.agent.version ? { version: this.agent.version } : {}), tools: session.registryTools() },
      namespace: ns,
      agentId: session.agentId,
      batch,
      piggyback,
    });
    transport.send(encodeFrame(FrameType.HELLO, Flag.REPLY, 0, reply));
    // The reply went out alone; what follows (replayed frames first) may be batched.
    if (batch) transport.enableBatching?.();
    session.attach(transport, resumed ? (resume?.lastReceived ?? 0) : 0, piggyback);
    this.hub.connected?.(session, { transport, codec: session.codec.name });
    if (stored) {
      // Calls the old owner made to this client (running there, or replayed just now) have no caller here.
      const replayedInvokes = stored.frames.flatMap((f) => {
        const h = peekHeader(f.frame);
        return h && h.type === FrameType.INVOKE ? [h.requestId] : [];
      });
      session.adoptOrphans([...new Set([...(resume?.busy ?? []), ...replayedInvokes])]);
      session.resumeIncoming(stored.incoming);
    }
    const summary = { id: session.sessionId, principal, connected: true, namespace: ns, agentId: session.agentId };
    this.emit(resumed ? 'resume' : 'session', summary);
  }

  private async createSession(record: SessionRecord, rule: NamespaceRule, restore?: (peer: Peer) => Promise<void>, counted = false): Promise<ServerSession> {
    const { id, principal, namespace: ns, agentId } = record;
    const hub = this.hub;
    const store = this.store;
    const session = new ServerSession(
      {
        side: 'server',
        codec: this.codecByName.get(record.codec) ?? createCodec(record.codec),
        registry: new ToolRegistry(this.sessionBase),
        sessionId: id,
        principal,
        maxFrame: this.maxFrameBytes,
        peerMaxFrame: record.peerMaxFrame,
        maxInflight: this.options.maxInflight ?? DEFAULT_MAX_INFLIGHT,
        peerMaxInflight: record.peerMaxInflight,
        heartbeatMs: record.heartbeatMs,
        heartbeats: this.heartbeats,
        slowConsumer: this.slowConsumer,
        window: this.options.window,
        dedup: this.dedup,
        dedupTtlMs: this.options.dedupTtlMs,
        dedupScope: this.agent.name, // the host adds the principal, when an exactly-once call needs it
        maxPeerToolBytes: this.options.maxClientToolBytes,
        newId: this.newId,
        journal: store?.journal(id, this.nodeId),
        host: this.host,
      },
      // Messages that reach a taken-over session before its state is restored wait for it.
      { principal, ns, agentId, resumeToken: record.resumeToken, rule, restoring: restore !== undefined },
    );
    session.setRemoteTools(record.remoteTools);
    // A session of the same agent waiting to be resumed gives way to the new connection, if the
    // agent id is the new principal's to take (its own, or the namespace's rule allows it).
    for (const other of [...this.sessions.values()]) {
      if (other.ns !== ns || other.agentId !== agentId || other.attached) continue;
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
    this.sessions.set(id, session);
    if (!counted) this.countSession(principal, 1);
    return session;
  }

  /**
   * Dropped sessions keep their unacknowledged frames for the TTL; past the server's total
   * (maxRetainedReplayBytes) the longest-dropped sessions end early, as if they had expired.
   */
  private enforceRetained(): void {
    const limit = this.options.maxRetainedReplayBytes ?? DEFAULT_MAX_RETAINED_REPLAY_BYTES;
    let total = 0;
    for (const s of this.dropped) total += s.chan.unackedBytes;
    for (const s of [...this.dropped]) {
      if (total <= limit) break;
      total -= s.chan.unackedBytes;
      this.endSession(s, new ProtocolError(ErrorCode.SESSION_EXPIRED, 'session ended before its TTL: the server holds its limit of bytes for dropped sessions'));
    }
    if (this.dropped.size === 0 && this.retainedTimer) {
      clearInterval(this.retainedTimer);
      this.retainedTimer = undefined;
    }
  }

  private scheduleExpiry(session: ServerSession): void {
    this.dropped.delete(session);
    this.dropped.add(session);
    if (!this.retainedTimer) {
      // Dropped sessions still receive (messages, the rest of a stream), so the total is checked again while any wait.
      this.retainedTimer = setInterval(() => this.enforceRetained(), RETAINED_CHECK_MS);
      this.retainedTimer.unref?.();
    }
    this.enforceRetained();
    if (!this.sessions.has(session.sessionId)) return;
    if (session.expiry) clearTimeout(session.expiry);
    void this.store?.expire(session.sessionId, this.options.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS, this.nodeId).catch(() => {});
    session.expiry = setTimeout(() => {
      this.endSession(session, new ProtocolError(ErrorCode.SESSION_EXPIRED, 'session expired before it was resumed'));
    }, this.options.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS);
  }

  private endSession(session: ServerSession, error: Error, forget = true): void {
    this.dropped.delete(session);
    if (session.expiry) clearTimeout(session.expiry);
    const id = session.sessionId;
    if (!this.sessions.delete(id)) return;
    this.countSession(session.principal, -1);
    // Not forgetting means another process may resume it: hand the running requests over.
    session.close(error, !forget);
    if (!forget) void this.store?.expire(id, this.options.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS, this.nodeId).catch(() => {});
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
  peerOf(sessionId: string): Peer | undefined {
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
    if (this.retainedTimer) clearInterval(this.retainedTimer);
    this.retainedTimer = undefined;
    for (const t of this.pending) void t.close(CloseCode.SERVER_SHUTDOWN, 'server is shutting down');
    for (const s of [...this.sessions.values()]) {
      s.goAway(ErrorCode.UNAVAILABLE, 'server is shutting down', 0);
      // With a shared store the session stays there, so its client resumes it on another node.
      this.endSession(s, new AgentSocketError('SESSION_CLOSED', 'server closed'), this.store === undefined);
    }
  }
}

/** How often the bytes kept by dropped sessions are summed again while any wait, ms. */
const RETAINED_CHECK_MS = 1000;

/** Who a connection is when the server has no authenticate hook: one object for every session. */
const ANONYMOUS: Principal = Object.freeze({ id: 'anonymous' });

/** Compares resume tokens in time independent of where they differ. */
function sameToken(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

function randomToken(): string {
  const bytes = new Uint8Array(24);
  crypto.getRandomValues(bytes);
  // Joined: built with +=, the token would be a rope of 20-odd string objects until first compared.
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
