import { backoffDelay, sleep } from './backoff.js';
import { handshake } from './client-handshake.js';
import type { Call, InvokeOptions } from './call.js';
import { sharedCodec } from './codec.js';
import { DEFAULT_CLIENT_MAX_INFLIGHT, DEFAULT_HANDSHAKE_TIMEOUT_MS, DEFAULT_HEARTBEAT_MS, DEFAULT_MAX_FRAME_BYTES } from './defaults.js';
import { ClientTools } from './client-tools.js';
import type { DedupStore } from './dedup.js';
import { Emitter } from './emitter.js';
import { AgentSocketError, ProtocolError } from './errors.js';
import * as CloseCode from './close-code.js';
import * as ErrorCode from './error-code.js';
import type { ClientHello, ServerHello } from './hello.js';
import { ulidFactory } from './ids.js';
import { DELIVERY_WIRE, type Delivery, type ToolInfo } from './messages.js';
import type { TeamMessage } from './hub.js';
import { PROTOCOL_VERSION } from './opcodes.js';
import { Peer, type PeerHost } from './peer.js';
import { peerSettings } from './peer-options.js';
import type { InputSchema } from './schema.js';
import type { Agent, ToolsOf } from './agent.js';
import type { ToolDefinition } from './tool.js';
import type { Transport, TransportCloseInfo } from './transport.js';
import type { AgentClientOptions, ConnectedInfo, InvokeArgs, ReconnectCause, ReconnectingInfo, ToolCall, ToolName, Typed } from './client-options.js';

export type { AgentClientOptions, ConnectedInfo, InvokeArgs, ReconnectCause, ReconnectingInfo, ReconnectOptions, ToolCall, ToolName } from './client-options.js';

type ClientEvents = {
  connect: [ConnectedInfo];
  disconnect: [TransportCloseInfo];
  /** Before each retry: of a reconnect after a drop, and of the first connect(). */
  reconnecting: [ReconnectingInfo];
  tools: [ToolInfo[]];
  /** A team message from another agent or the server. */
  message: [TeamMessage];
  error: [Error];
  close: [];
};

/** A client's tools go in its HELLO up to this many bytes of JSON, else in a TOOL_DEF after the reply. */
const HELLO_TOOLS_INLINE_BYTES = 64 * 1024;

function toolsBytes(tools: ToolInfo[]): number {
  return tools.length === 0 ? 0 : JSON.stringify(tools).length;
}

/**
 * Wire errors after which reconnecting cannot help. CONFLICT: the session is gone and its agent id
 * is held by another connected session, so every further attempt would be refused the same way.
 */
const FATAL = new Set<number>([
  ErrorCode.UNAUTHORIZED,
  ErrorCode.FORBIDDEN,
  ErrorCode.CONFLICT,
  ErrorCode.FRAME_TOO_LARGE, // the same HELLO would be too large again
  ErrorCode.UNSUPPORTED_CODEC,
  ErrorCode.UNSUPPORTED_VERSION,
]);

/**
 * Connects to an agent over any transport, invokes its tools, and serves tools back to it.
 * `new AgentClient<typeof agent>(...)` types `invoke` from the agent's definition: a tool name
 * must be one of its tools, arguments match its input schema, and the call's result and chunks
 * have the handler's (or output schema's) types. Plain `AgentClient` takes any name and arguments.
 */
export class AgentClient<A extends Agent = Agent> extends Emitter<ClientEvents> {
  /**
   * Type only, never set. Its mapped type makes TypeScript compare clients member by member rather
   * than by `A` alone, so a typed client stays assignable to a plain `AgentClient`. (Public: a
   * private member's type is left out of the published .d.ts.)
   */
  declare readonly '~agent'?: { -readonly [K in keyof ToolsOf<A>]?: ToolsOf<A>[K] };
  readonly #options: AgentClientOptions;
  /** The tools this client serves (their registry loaded with the first). */
  readonly #served = new ClientTools(() => this.#serveTools());
  readonly #newId = ulidFactory();
  /** The default dedup store, made when the server first makes an exactly-once call here. */
  #dedup: Promise<DedupStore> | undefined;
  #peer: Peer | undefined;
  #resumeToken = '';
  #server: ServerHello['agent'] | undefined;
  #closed = false;
  #reconnecting = false;
  #identity: { namespace: string; agentId: string } | undefined;
  /** Message ids already delivered, so a message fanned out twice in a cluster is seen once. */
  #seenMessages: Promise<DedupStore> | undefined;
  readonly #stop = new AbortController();
  /** What this client's sessions tell it (one object for every session it makes). */
  readonly #peerHost: PeerHost = {
    detached: (_peer, info) => this.#onDetached(info),
    error: (_peer, error) => this.emit('error', error),
    toolsChanged: () => this.emit('tools', this.tools),
    goAway: (_peer, _code, _reason, retryMs) => this.#onGoAway(retryMs),
    message: (_peer, message) => this.#onMessage(message),
    dedupStore: () => {
      this.#dedup ??= import('./serving.js').then((m) => new m.MemoryDedupStore({ maxEntries: 1000 }));
      return this.#dedup;
    },
  };

  constructor(options: AgentClientOptions) {
    super();
    this.#options = options;
    for (const [name, def] of Object.entries(options.tools ?? {})) this.#served.add(name, def);
  }

  /** The agent's tools, kept current from TOOL_DEF pushes. */
  get tools(): ToolInfo[] {
    return this.#peer?.remoteTools ?? [];
  }

  get agent(): { name: string; version?: string } | undefined {
    if (!this.#server) return undefined;
    return this.#server.version === undefined ? { name: this.#server.name } : { name: this.#server.name, version: this.#server.version };
  }

  get sessionId(): string | undefined {
    return this.#peer?.sessionId;
  }

  get connected(): boolean {
    return this.#peer?.attached ?? false;
  }

  /** The namespace this client belongs to and the id other agents address it by. */
  get team(): { namespace: string; agentId: string } | undefined {
    return this.#identity;
  }

  /** Joins a room of this namespace (the server may refuse with 403). */
  async join(room: string): Promise<void> {
    await this.#call('asp.join', { room }).result;
  }

  async leave(room: string): Promise<void> {
    await this.#call('asp.leave', { room }).result;
  }

  /** Rooms this agent is in. */
  async rooms(): Promise<string[]> {
    return stringList((await this.#call('asp.rooms').result).value);
  }

  /** Agent ids in a room, or in the whole namespace. */
  async members(room?: string): Promise<string[]> {
    return stringList((await this.#call('asp.members', room === undefined ? {} : { room }).result).value);
  }

  /** Sends a message to one agent of this namespace (private 1-1). Rejects with 406 if there is none. */
  async send(to: string, event: string, data?: unknown, options: { delivery?: Delivery } = {}): Promise<void> {
    await this.#call('asp.send', { to, event, data, ...deliveryArg(options.delivery) }).result;
  }

  /** Broadcasts to a room, or to the whole namespace, except this agent. Resolves with how many it reached. */
  async broadcast(event: string, data?: unknown, options: { room?: string; delivery?: Delivery } = {}): Promise<number> {
    const args = { event, data, ...(options.room === undefined ? {} : { room: options.room }), ...deliveryArg(options.delivery) };
    const r = (await this.#call('asp.broadcast', args).result).value;
    return typeof r === 'object' && r !== null && 'delivered' in r && typeof r.delivered === 'number' ? r.delivered : 0;
  }

  /** Invokes a tool served by another agent of this namespace, routed through the server. */
  invokeAgent<T = unknown>(agentId: string, tool: string, args?: unknown, options?: InvokeOptions): Call<T> {
    return this.#call<T>(tool, args, { ...options, to: agentId });
  }

  /**
   * Opens the first connection, retrying a failed attempt up to `connectAttempts` in all with the
   * reconnect backoff. Rejects with the last attempt's error, at once if the server refuses.
   */
  async connect(): Promise<ConnectedInfo> {
    if (this.#closed) throw new AgentSocketError('CLIENT_CLOSED', 'client is closed');
    const attempts = this.#options.connectAttempts ?? (this.#options.reconnect === false ? 1 : 5);
    if (!(attempts >= 1)) throw new AgentSocketError('INVALID_OPTIONS', `connectAttempts must be 1 or more (Infinity retries for ever), not ${attempts}`);
    const backoff = this.#options.reconnect || {};
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#connectOnce();
      } catch (error) {
        if (this.#closed || attempt >= attempts || !worthRetrying(error)) throw error;
        const delayMs = backoffDelay(attempt - 1, backoff);
        this.emit('reconnecting', { attempt, delayMs, cause: asCause(error) });
        await sleep(delayMs, this.#stop.signal);
      }
    }
  }

  /**
   * Calls a tool the agent serves. Throws AgentSocketError('NOT_CONNECTED') until `connect()` has
   * succeeded once; after that, reliable calls made while reconnecting wait for the session to resume.
   * On a typed client (`AgentClient<typeof agent>`) the name, arguments, result and chunks are typed
   * from the agent's tools; `T` claims the result type on an untyped one.
   */
  invoke<T = unknown>(tool: Typed<A> extends true ? never : string, args?: unknown, options?: InvokeOptions): Call<T>;
  invoke<N extends ToolName<A>>(tool: N, ...rest: InvokeArgs<A, N>): ToolCall<A, N>;
  invoke(tool: string, args?: unknown, options?: InvokeOptions): Call<never, never> {
    return this.#call<never, never>(tool, args, options);
  }

  #call<T = unknown, C = unknown>(tool: string, args?: unknown, options?: InvokeOptions): Call<T, C> {
    const peer = this.#peer;
    if (!peer) throw new AgentSocketError('NOT_CONNECTED', 'not connected yet: await client.connect() before invoke()');
    const hook = this.#options.instrumentation;
    if (hook) return hook.invoke<T, C>(tool, options ?? {}, (o) => peer.invoke<T, C>(tool, args ?? {}, o));
    return peer.invoke<T, C>(tool, args ?? {}, options);
  }

  /** Serves another tool to the agent, announced at once (TOOL_DEF). */
  addTool<S extends InputSchema>(name: string, definition: ToolDefinition<S>): void {
    this.#served.add(name, definition);
  }

  /** Closes the connection and fails every open call with CLIENT_CLOSED. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stop.abort(new AgentSocketError('CLIENT_CLOSED', 'client closed'));
    this.#peer?.close(new AgentSocketError('CLIENT_CLOSED', 'client closed'));
    this.emit('close');
  }

  /** Drops the current transport as a network failure would (for tests and failover drills). */
  async dropConnection(): Promise<void> {
    const t = this.#peer?.replaceTransport();
    if (t) {
      await t.close(CloseCode.GOING_AWAY, 'dropped by client');
      this.#onDetached({ code: CloseCode.GOING_AWAY, reason: 'dropped by client', local: true });
    }
  }

  /** The registry of the tools added before there was one is loaded: the session serves them from now on. */
  #serveTools(): void {
    const registry = this.#served.forSession();
    if (registry) this.#peer?.serve(registry);
  }

  async #connectOnce(): Promise<ConnectedInfo> {
    // The tools go in the HELLO: their registry first.
    await this.#served.ready()?.catch((error: unknown) => {
      throw new AgentSocketError('INVALID_OPTIONS', `a tool cannot be served: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    });
    const options = this.#options;
    const transport = await options.connect(this.#stop.signal);
    const batch = options.batch !== false && transport.enableBatching !== undefined;
    const piggyback = options.piggybackAcks !== false;
    const lean = options.lean !== false;
    // A long tool list goes in a TOOL_DEF after the reply: a server holds a HELLO to a small limit (protocol.md §7).
    let tools = this.#served.list();
    const lateTools = toolsBytes(tools) > HELLO_TOOLS_INLINE_BYTES ? tools : undefined;
    if (lateTools) tools = [];
    const peer = this.#peer;
    // encodeClientHello leaves out what is undefined or false.
    const hello: ClientHello = {
      versions: [PROTOCOL_VERSION],
      codecs: options.codecs ?? ['msgpack', 'json'],
      maxFrame: options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
      heartbeatMs: options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
      maxInflight: options.maxInflight ?? DEFAULT_CLIENT_MAX_INFLIGHT,
      tools,
      token: options.token,
      agent: options.name,
      namespace: options.namespace,
      resume: peer ? { sessionId: peer.sessionId, resumeToken: this.#resumeToken, lastReceived: peer.chan.lastReceived, busy: peer.runningIncoming() } : undefined,
      batch,
      piggyback,
      lean,
    };
    return handshake(transport, hello, options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS, (reply) => {
      // Before anything else arrives: the server batches from right after its reply.
      if (batch && reply.batch) transport.enableBatching?.();
      const info = this.#onHello(transport, reply, piggyback && reply.piggyback === true, lean && reply.lean === true);
      // A resumed session kept the tools it was told of.
      if (lateTools && !reply.resumed) this.#peer?.announceTools(lateTools, []);
      return info;
    });
  }

  #onHello(transport: Transport, hello: ServerHello, piggyback: boolean, lean: boolean): ConnectedInfo {
    this.#server = hello.agent;
    const options = this.#options;
    let peer = this.#peer;
    if (!peer || !hello.resumed || peer.sessionId !== hello.sessionId) {
      const unfinished = peer?.takeUnfinished() ?? [];
      peer?.close(new ProtocolError(ErrorCode.SESSION_EXPIRED, 'session could not be resumed'));
      peer = new Peer({
        settings: peerSettings({
          side: 'client',
          maxFrame: options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
          maxInflight: options.maxInflight ?? DEFAULT_CLIENT_MAX_INFLIGHT,
          dedup: options.dedup,
          dedupScope: options.name ?? 'client',
          newId: this.#newId,
          host: this.#peerHost,
        }),
        codec: sharedCodec(hello.codec),
        registry: this.#served.forSession(),
        sessionId: hello.sessionId,
        peerMaxFrame: hello.maxFrame,
        peerMaxInflight: hello.maxInflight,
        heartbeatMs: hello.heartbeatMs,
        window: options.window,
      });
      peer.setRemoteTools(hello.agent.tools);
      this.#peer = peer;
      peer.adopt(unfinished);
    } else {
      peer.setRemoteTools(hello.agent.tools);
    }
    this.#resumeToken = hello.resumeToken;
    this.#identity = { namespace: hello.namespace, agentId: hello.agentId };
    peer.attach(transport, hello.lastReceived, piggyback, lean);
    const info = { sessionId: hello.sessionId, resumed: hello.resumed };
    this.emit('connect', info);
    this.emit('tools', this.tools);
    return info;
  }

  #onMessage(message: TeamMessage): void {
    this.#seenMessages ??= import('./serving.js').then((m) => new m.MemoryDedupStore({ maxEntries: 10_000 }));
    void this.#seenMessages.then((seen) => seen.claim(message.id, 10 * 60_000)).then((claim) => {
      if (claim.status === 'new') this.emit('message', message);
    });
  }

  #onGoAway(retryMs: number | undefined): void {
    const t = this.#peer?.replaceTransport();
    if (!t) return;
    // Not NORMAL: a normal close tells the server the session is over, and it must stay resumable.
    void t.close(CloseCode.GOING_AWAY, 'GOAWAY received');
    this.#onDetached({ code: CloseCode.SERVER_SHUTDOWN, reason: 'GOAWAY', local: false }, retryMs);
  }

  #onDetached(info: TransportCloseInfo, firstDelayMs?: number): void {
    this.emit('disconnect', info);
    if (this.#closed || this.#reconnecting) return;
    if (this.#options.reconnect === false) {
      this.#peer?.close(new AgentSocketError('CONNECTION_LOST', `connection closed (${info.code} ${info.reason})`));
      return;
    }
    void this.#reconnectLoop(firstDelayMs, new AgentSocketError('CONNECTION_LOST', `connection closed (${info.code} ${info.reason})`));
  }

  async #reconnectLoop(firstDelayMs: number | undefined, dropped: ReconnectCause): Promise<void> {
    this.#reconnecting = true;
    const opts = this.#options.reconnect || {};
    const max = opts.maxAttempts ?? Number.POSITIVE_INFINITY;
    let cause = dropped;
    try {
      for (let attempt = 0; attempt < max && !this.#closed; attempt++) {
        const delayMs = attempt === 0 && firstDelayMs !== undefined ? firstDelayMs : backoffDelay(attempt, opts);
        this.emit('reconnecting', { attempt: attempt + 1, delayMs, cause });
        await sleep(delayMs, this.#stop.signal);
        try {
          await this.#connectOnce();
          return;
        } catch (error) {
          if (error instanceof ProtocolError && isFatal(error)) {
            this.#peer?.close(error);
            this.emit('error', error);
            return;
          }
          cause = asCause(error);
        }
      }
      this.#peer?.close(new AgentSocketError('CONNECTION_LOST', `gave up after ${max} reconnect attempts: ${cause.message}`, { cause }));
    } catch {
      // closed while waiting
    } finally {
      this.#reconnecting = false;
    }
  }
}

function isFatal(error: unknown): boolean {
  return error instanceof ProtocolError && FATAL.has(error.code);
}

/** Whether the first connect() tries again after this error: not after a refusal that will not change. */
function worthRetrying(error: unknown): boolean {
  if (error instanceof ProtocolError) return error.code >= 500 || error.code === ErrorCode.TIMEOUT || error.code === ErrorCode.TOO_MANY_REQUESTS;
  if (error instanceof AgentSocketError) return error.code !== 'CLIENT_CLOSED' && error.code !== 'ABORTED' && error.code !== 'INVALID_OPTIONS';
  return true;
}

/** A failed attempt's error as a cause with a code; a connector's plain Error is wrapped. */
function asCause(error: unknown): ReconnectCause {
  if (error instanceof AgentSocketError || error instanceof ProtocolError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new AgentSocketError('CONNECTION_LOST', `connect failed: ${message}`, { cause: error });
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function deliveryArg(delivery: Delivery | undefined): { dl?: number } {
  return delivery === undefined ? {} : { dl: DELIVERY_WIRE[delivery] };
}
