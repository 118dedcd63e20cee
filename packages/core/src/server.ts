import type { Agent } from './agent.js';
import { createCodec } from './codec.js';
import { type DedupStore, MemoryDedupStore } from './dedup.js';
import { AgentSocketError, CloseCode, ErrorCode, ProtocolError } from './errors.js';
import { decodeFrame, encodeFrame } from './frame.js';
import { type ClientHello, decodeClientHello, encodeServerHello } from './hello.js';
import { ulidFactory } from './ids.js';
import { Flag, FrameType, PROTOCOL_VERSION } from './opcodes.js';
import { Peer } from './peer.js';
import type { WindowOptions } from './reliable.js';
import { ToolRegistry } from './tool.js';
import type { ConnectionInfo, Principal, Transport } from './transport.js';
import { Emitter } from './emitter.js';
import type { Call, InvokeOptions } from './call.js';
import { type Hub, type HubMember, MemoryHub, type Target, type TeamMessage } from './hub.js';
import type { Delivery } from './messages.js';
import { addTeamTools, DEFAULT_NAMESPACE, findRule, isNamespaceName, type NamespaceRule, type TeamsOptions } from './teams.js';

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

interface Session {
  readonly id: string;
  readonly resumeToken: string;
  readonly peer: Peer;
  readonly member: HubMember;
  expiry: ReturnType<typeof setTimeout> | undefined;
}

/** Serves one Agent to any number of clients over any transport that hands it connections. */
export class AgentServer extends Emitter<ServerEvents> {
  readonly agent: Agent;
  private readonly options: AgentServerOptions;
  private readonly sessions = new Map<string, Session>();
  private readonly pending = new Set<Transport>();
  private readonly dedup: DedupStore;
  private readonly newId = ulidFactory();
  private readonly codecs: string[];
  private closing = false;
  readonly hub: Hub;

  constructor(agent: Agent, options: AgentServerOptions = {}) {
    super();
    this.agent = agent;
    this.options = options;
    this.dedup = options.dedup ?? new MemoryDedupStore();
    this.codecs = options.codecs ?? ['msgpack', 'json'];
    this.hub = options.teams?.hub ?? new MemoryHub();
    for (const c of this.codecs) createCodec(c); // fail fast on an unknown codec
  }

  get maxFrameBytes(): number {
    return this.options.maxFrameBytes ?? 16 * 1024 * 1024;
  }

  /** Sessions, connected or waiting to be resumed. */
  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Runs the authenticate hook (transports call it at their upgrade). */
  async authenticate(token: string | undefined, info: ConnectionInfo): Promise<Principal | undefined> {
    if (!this.options.authenticate) return { id: 'anonymous' };
    return this.options.authenticate(token, info);
  }

  get requiresAuth(): boolean {
    return this.options.authenticate !== undefined;
  }

  /** Takes a freshly accepted transport through the handshake into a new or resumed session. */
  accept(transport: Transport, info: ConnectionInfo): void {
    if (this.closing) {
      void transport.close(CloseCode.SERVER_SHUTDOWN, 'server is shutting down');
      return;
    }
    this.pending.add(transport);
    const timer = setTimeout(
      () => void transport.close(CloseCode.HANDSHAKE_TIMEOUT, 'no HELLO in time'),
      this.options.handshakeTimeoutMs ?? 10_000,
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
          this.emit('error', error instanceof Error ? error : new Error(String(error)));
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
    if (!hello.versions.includes(PROTOCOL_VERSION)) {
      refuse(ErrorCode.UNSUPPORTED_VERSION, `server speaks ASP version ${PROTOCOL_VERSION}`, CloseCode.UNSUPPORTED_VERSION);
      return;
    }
    const codecName = hello.codecs.find((c) => this.codecs.includes(c));
    if (!codecName) {
      refuse(ErrorCode.UNSUPPORTED_CODEC, `server speaks ${this.codecs.join(', ')}`, CloseCode.UNSUPPORTED_CODEC);
      return;
    }
    let principal = info.principal;
    if (!principal) {
      principal = await this.authenticate(hello.token, info);
      if (!principal) {
        refuse(ErrorCode.UNAUTHORIZED, 'missing or invalid token', CloseCode.UNAUTHORIZED);
        return;
      }
    }
    const ns = hello.namespace ?? DEFAULT_NAMESPACE;
    const rule = isNamespaceName(ns) ? findRule(this.options.teams?.namespaces, ns) : undefined;
    if (!rule) {
      refuse(ErrorCode.FORBIDDEN, `no namespace ${JSON.stringify(ns)} here`, CloseCode.FORBIDDEN);
      return;
    }
    if (rule.authorize && !(await rule.authorize(principal, ns))) {
      refuse(ErrorCode.FORBIDDEN, `"${principal.id}" may not use namespace ${ns}`, CloseCode.FORBIDDEN);
      return;
    }
    if (!transport.open) return;

    let session: Session | undefined;
    let resumed = false;
    if (hello.resume) {
      const found = this.sessions.get(hello.resume.sessionId);
      if (
        found &&
        found.member.ns === ns &&
        sameToken(found.resumeToken, hello.resume.resumeToken) &&
        found.peer.principal?.id === principal.id
      ) {
        session = found;
        resumed = true;
        if (found.expiry) clearTimeout(found.expiry);
        found.expiry = undefined;
        const old = found.peer.replaceTransport();
        if (old) void old.close(CloseCode.NORMAL, 'session resumed on another connection');
      }
    }
    const heartbeatMs = Math.min(hello.heartbeatMs, this.options.heartbeatMs ?? 30_000);
    if (!session) {
      try {
        session = await this.createSession(codecName, hello, principal, heartbeatMs, ns, rule);
      } catch (error) {
        if (!(error instanceof ProtocolError)) throw error;
        refuse(error.code, error.message, error.code === ErrorCode.CONFLICT ? CloseCode.CONFLICT : CloseCode.FORBIDDEN);
        return;
      }
      if (!transport.open) {
        this.endSession(session, new AgentSocketError('SESSION_CLOSED', 'connection closed during handshake'));
        return;
      }
    }
    const reply = encodeServerHello({
      version: PROTOCOL_VERSION,
      codec: codecName,
      maxFrame: this.maxFrameBytes,
      heartbeatMs,
      maxInflight: this.options.maxInflight ?? 256,
      sessionId: session.id,
      resumeToken: session.resumeToken,
      resumed,
      lastReceived: session.peer.chan.lastReceived,
      agent: { name: this.agent.name, ...(this.agent.version ? { version: this.agent.version } : {}), tools: session.peer.registryTools() },
      namespace: ns,
      agentId: session.member.agentId,
    });
    transport.send(encodeFrame(FrameType.HELLO, Flag.REPLY, 0, reply));
    session.peer.attach(transport, resumed ? (hello.resume?.lastReceived ?? 0) : 0);
    const summary = { id: session.id, principal, connected: true, namespace: ns, agentId: session.member.agentId };
    this.emit(resumed ? 'resume' : 'session', summary);
  }

  private async createSession(
    codecName: string,
    hello: ClientHello,
    principal: Principal,
    heartbeatMs: number,
    ns: string,
    rule: NamespaceRule,
  ): Promise<Session> {
    const id = this.newId();
    const resumeToken = randomToken();
    const registry = new ToolRegistry(this.agent.registry);
    const agentId = hello.agent ?? id;
    const hub = this.hub;
    const peer: Peer = new Peer({
      side: 'server',
      codec: createCodec(codecName),
      registry,
      sessionId: id,
      principal,
      maxFrame: this.maxFrameBytes,
      peerMaxFrame: hello.maxFrame,
      maxInflight: this.options.maxInflight ?? 256,
      peerMaxInflight: hello.maxInflight,
      heartbeatMs,
      window: this.options.window,
      dedup: this.dedup,
      dedupTtlMs: this.options.dedupTtlMs,
      dedupScope: `${this.agent.name}:${principal.id}`,
      newId: this.newId,
      // A client that closes normally is done with the session; anything else may come back.
      onDetached: (info) =>
        info.code === CloseCode.NORMAL && !info.local
          ? this.endSession(session, new AgentSocketError('SESSION_CLOSED', 'client closed the session'))
          : this.scheduleExpiry(session),
      onError: (error) => this.emit('error', error),
      route: (to, tool, args, options) => hub.invoke(ns, to, tool, args, options),
    });
    if (hello.tools) peer.setRemoteTools(hello.tools);
    const member: HubMember = {
      ns,
      agentId,
      principal,
      deliver: (message) => peer.deliver(message),
      invoke: (tool, args, options) => peer.invoke(tool, args, options),
    };
    // A session of the same agent waiting to be resumed gives way to the new connection.
    for (const other of this.sessions.values()) {
      if (other.member.ns === ns && other.member.agentId === agentId && !other.peer.attached) {
        this.endSession(other, new ProtocolError(ErrorCode.CONFLICT, 'replaced by a new session of the same agent'));
      }
    }
    try {
      await hub.attach(member);
    } catch (error) {
      peer.close(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
    addTeamTools(registry, member, hub, rule, this.newId);
    const session: Session = { id, resumeToken, peer, member, expiry: undefined };
    this.sessions.set(id, session);
    return session;
  }

  private scheduleExpiry(session: Session): void {
    if (session.expiry) clearTimeout(session.expiry);
    session.expiry = setTimeout(() => {
      this.endSession(session, new ProtocolError(ErrorCode.SESSION_EXPIRED, 'session expired before it was resumed'));
    }, this.options.sessionTtlMs ?? 60_000);
  }

  private endSession(session: Session, error: Error): void {
    if (session.expiry) clearTimeout(session.expiry);
    if (!this.sessions.delete(session.id)) return;
    session.peer.close(error);
    void this.hub.detach(session.member).catch((e: unknown) => this.emit('error', e instanceof Error ? e : new Error(String(e))));
    this.emit(
      'sessionEnd',
      { id: session.id, principal: session.peer.principal, connected: false, namespace: session.member.ns, agentId: session.member.agentId },
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
    return this.sessions.get(sessionId)?.peer;
  }

  /**
   * Drains: tells every client to go away (GOAWAY) so it reconnects elsewhere, then ends all
   * sessions and closes their transports.
   */
  close(): void {
    this.closing = true;
    for (const t of this.pending) void t.close(CloseCode.SERVER_SHUTDOWN, 'server is shutting down');
    for (const s of [...this.sessions.values()]) {
      s.peer.goAway(CloseCode.SERVER_SHUTDOWN, 'server is shutting down', 0);
      this.endSession(s, new AgentSocketError('SESSION_CLOSED', 'server closed'));
    }
  }
}

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
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}
