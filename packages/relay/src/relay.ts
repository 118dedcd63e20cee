import { randomBytes } from 'node:crypto';
import {
  type Agent,
  AgentServer,
  type AgentServerOptions,
  type Delivery,
  defineAgent,
  type SessionStore,
  ProtocolError,
  type ToolContext,
  type ToolDefinition,
  type ToolInfo,
} from '@agentsocket/core';
import { ReportedResult, ulidFactory } from '@agentsocket/core/internal';
import { encodeCancelRequest, encodeCompatRequest, encodeInvokeRequest, parseTools, type RelayCodecName, type RelayFrame, RelayFrameType, relayCodec } from '@agentsocket/function';
import { type CallbackActions, CallbackServer } from './callback-server.js';
import { FunctionClient, type FunctionManifest, GATEWAY_TIMEOUT } from './function-client.js';
import { RelayBus, type RelayClusterOptions } from './relay-bus.js';
import { SharedRun } from './shared-run.js';
import { mintToken } from './token.js';

/** How long a finished exactly-once call stays for a retry to pick up, ms. */
const RUN_RETENTION_MS = 60_000;
/** Sessions being taken over whose carried tools wait here for the resume. */
const MAX_CARRIED = 10_000;

export interface RelayOptions {
  function: {
    /** Base URL of the function: `invoke` and `tools` are resolved against it. */
    url: string | URL;
    /** Secret shared with the function, for request signatures (docs/relay.md §2). */
    secret: string;
    /** Longest a call may run on the function before the client gets ERROR 504, ms. @default 60000 */
    timeoutMs?: number;
    /** Most connections open to the function at once (a call beyond it waits). @default no limit */
    connections?: number;
    /** Request body format: `native` (docs/relay.md §3.1) or the RFC's `{cid, payload}` (§3.2). @default 'native' */
    format?: 'native' | 'compat';
    /** Largest frame accepted from the function, bytes. @default 16 MiB */
    maxFrameBytes?: number;
    /** Body and payload codec. @default 'msgpack' when the function lists it in `GET /tools`, else 'json' (always 'json' in compat format) */
    codec?: RelayCodecName;
  };
  callback?: {
    /** Secret for callback tokens. @default random per process (tokens then only work on this relay) */
    secret?: string;
    host?: string;
    /** @default 0 (any free port) */
    port?: number;
    /** The callback API's base URL as the function reaches it. @default the address it listens on */
    publicUrl?: string;
    /** Lifetime of a callback token, ms. @default 300000 */
    tokenTtlMs?: number;
    /** Largest callback body, bytes. @default 1 MiB */
    maxBodyBytes?: number;
  };
  /** Options of the relay's AgentServer (auth, teams, limits, session store…). */
  server?: AgentServerOptions;
  /**
   * Relays of one cluster (with `server` given a Redis cluster's stores and one `callback.secret`):
   * a callback received by any relay reaches the relay holding its connection, and each
   * connection's state is kept in Redis (docs/relay.md §5.4). @default none (a single relay)
   */
  cluster?: RelayClusterOptions;
  /** The function's agent and tools, if known: the relay then starts without `GET /tools`. */
  manifest?: FunctionManifest;
}

/**
 * Relay mode: holds ASP sessions (an AgentServer whose tools forward to a function) and runs each
 * call on the function over HTTP, streaming its frames to the client as they arrive. Transports
 * attach to `relay.server` as to any AgentServer.
 */
export class Relay {
  readonly server: AgentServer;
  readonly callbackUrl: string;
  private readonly states = new Map<string, string>();
  /** Sessions whose state is known here (with a cluster, a session resumed from elsewhere reads it from Redis once). */
  private readonly stateKnown = new Set<string>();
  /** Namespace and agent id of each session, sent with its calls. */
  private readonly members = new Map<string, { ns: string; agentId: string }>();
  private readonly newId = ulidFactory();
  /** Exactly-once calls by principal and message id, while they run and a while after. */
  private readonly runs = new Map<string, SharedRun>();
  /** The callback token of each connection's requests in the current second. */
  private readonly tokens = new Map<string, { second: number; callback: { token: string; exp: number } }>();
  /** With a cluster: tools announced for a session another relay held, read with the session as it is taken over here. */
  private readonly carried = new Map<string, ToolInfo[]>();
  private readonly codecName: RelayCodecName;

  private constructor(
    private readonly options: RelayOptions,
    private readonly fn: FunctionClient,
    private readonly callbacks: CallbackServer,
    private readonly callbackSecret: string,
    callbackUrl: string,
    manifest: FunctionManifest,
    private readonly bus: RelayBus | undefined,
  ) {
    this.callbackUrl = callbackUrl;
    const offered = manifest.codecs ?? ['json'];
    this.codecName = options.function.format === 'compat' ? 'json' : (options.function.codec ?? (offered.includes('msgpack') ? 'msgpack' : 'json'));
    const agent = defineAgent({ name: manifest.agent.name, ...(manifest.agent.version === undefined ? {} : { version: manifest.agent.version }) });
    for (const info of manifest.tools) agent.addTool(info.name, this.proxy(info));
    const store = options.server?.sessions;
    this.server = new AgentServer(agent, bus && store ? { ...options.server, sessions: this.carryingTools(store, bus) } : options.server);
    const remember = (info: { id: string; namespace: string; agentId: string }) => {
      this.members.set(info.id, { ns: info.namespace, agentId: info.agentId });
      this.tokens.delete(info.id);
      void bus?.hold(info.id).catch(() => {});
      // Taken over from another relay: the tools the function announced there, before the client can call them.
      const carried = this.carried.get(info.id);
      if (carried) {
        this.carried.delete(info.id);
        this.defineFor(info.id, carried, [], false);
      }
    };
    this.server.on('session', (info) => {
      remember(info);
      this.stateKnown.add(info.id);
    });
    this.server.on('resume', remember);
    this.server.on('sessionEnd', (info) => {
      this.states.delete(info.id);
      this.stateKnown.delete(info.id);
      this.members.delete(info.id);
      this.tokens.delete(info.id);
      if (bus) void this.ended(bus, info.id).catch(() => {});
    });
  }

  /** Starts the callback API and, unless a manifest is given, reads the function's tools. */
  static async start(options: RelayOptions): Promise<Relay> {
    const fn = new FunctionClient(options.function.url, {
      secret: options.function.secret,
      ...(options.function.connections === undefined ? {} : { connections: options.function.connections }),
      ...(options.function.maxFrameBytes === undefined ? {} : { maxFrameBytes: options.function.maxFrameBytes }),
    });
    const secret = options.callback?.secret ?? randomBytes(32).toString('hex');
    let relay: Relay | undefined;
    const actions: CallbackActions = {
      locate: async (claims) => {
        if (relay?.server.peerOf(claims.cid)) return 'here';
        // With a shared session store, a session this relay does not hold may be held by another.
        const stored = await options.server?.sessions?.load(claims.cid).catch(() => undefined);
        return stored ? 'elsewhere' : 'gone';
      },
      messageElsewhere: async (claims, event, data, delivery) =>
        (await relay?.server.send(claims.ns, { to: claims.agent }, event, data, { delivery, from: relay.agent.name })) ?? 0,
      invokeElsewhere: (claims, tool, args, opts) => {
        if (!relay) throw new ProtocolError(503, 'the relay is starting');
        return relay.server.invokeAgent(claims.ns, claims.agent, tool, args, opts);
      },
      tools: (cid, tools, removed) => relay?.defineFor(cid, tools, removed),
      message: (cid, event, data, delivery) => relay?.message(cid, event, data, delivery),
      state: (cid, state) => relay?.setState(cid, state),
      close: (cid, reason) => relay?.server.closeSession(cid, reason),
      invoke: (cid, tool, args, opts) => {
        const peer = relay?.server.peerOf(cid);
        if (!peer) throw new ProtocolError(410, 'the connection is gone');
        return peer.invoke(tool, args, opts);
      },
      holds: (cid) => relay?.server.peerOf(cid) !== undefined,
    };
    const callbacks = new CallbackServer(actions, {
      secret,
      ...(options.callback?.host === undefined ? {} : { host: options.callback.host }),
      ...(options.callback?.port === undefined ? {} : { port: options.callback.port }),
      ...(options.callback?.maxBodyBytes === undefined ? {} : { maxBodyBytes: options.callback.maxBodyBytes }),
    });
    let bus: RelayBus | undefined;
    if (options.cluster) {
      bus = await RelayBus.start(options.cluster, (forwarded) => callbacks.applyForwarded(forwarded.cid, forwarded.action, forwarded.body));
      const cluster = bus;
      const locate = actions.locate;
      actions.forward = async (claims, action, body) => {
        const answer = await cluster.forward(claims.cid, action, body);
        // No relay holds it: a session that ended (410) or one being resumed (503, retry).
        if (answer.noOwner && (await locate(claims)) === 'gone') return { status: 410, message: 'the connection is gone' };
        return answer;
      };
      actions.locate = async (claims) => {
        if (relay?.server.peerOf(claims.cid)) return 'here';
        return (await cluster.ownerCached(claims.cid)) !== null ? 'elsewhere' : locate(claims);
      };
    }
    try {
      const listening = await callbacks.listen();
      const manifest = options.manifest ?? (await fn.manifest());
      relay = new Relay(options, fn, callbacks, secret, options.callback?.publicUrl ?? listening, manifest, bus);
      return relay;
    } catch (error) {
      await callbacks.close();
      await fn.close();
      await bus?.close();
      throw error;
    }
  }

  /** The function's agent as the relay serves it. */
  get agent(): Agent {
    return this.server.agent;
  }

  /** Reads `GET /tools` again and announces what changed to every session (TOOL_DEF). */
  async refreshTools(): Promise<void> {
    const manifest = await this.fn.manifest();
    const next = new Map(manifest.tools.map((t) => [t.name, t]));
    for (const current of this.agent.tools) {
      const wanted = next.get(current.name);
      if (!wanted || canonical(wanted) !== canonical(current)) this.agent.removeTool(current.name);
    }
    const have = new Set(this.agent.tools.map((t) => t.name));
    for (const info of manifest.tools) if (!have.has(info.name)) this.agent.addTool(info.name, this.proxy(info));
  }

  /**
   * The callback token sent with a request: one per connection and second, expiring `tokenTtlMs`
   * after the end of that second (minting one per request cost an HMAC per call).
   */
  private requestToken(cid: string): { token: string; exp: number } {
    const second = Math.floor(Date.now() / 1000);
    const cached = this.tokens.get(cid);
    if (cached?.second === second) return cached.callback;
    const callback = this.callbackToken(cid, (second + 1) * 1000);
    this.tokens.set(cid, { second, callback });
    return callback;
  }

  /** A token for the callback API of one connection (docs/relay.md §5.1). */
  callbackToken(cid: string, now: number = Date.now()): { token: string; exp: number } {
    const exp = now + (this.options.callback?.tokenTtlMs ?? 300_000);
    const member = this.members.get(cid);
    return { token: mintToken(this.callbackSecret, { cid, ns: member?.ns ?? '/', agent: member?.agentId ?? cid, exp }), exp };
  }

  /** Stops the callback API and the function client; the AgentServer is closed by its owner. */
  async close(): Promise<void> {
    await this.callbacks.close();
    await this.fn.close();
    await this.bus?.close();
  }

  /** A session ended here: another relay may hold it now (a hand-off); if not, its state and tools go too. */
  private async ended(bus: RelayBus, cid: string): Promise<void> {
    this.carried.delete(cid);
    await bus.release(cid);
    const stored = await this.options.server?.sessions?.load(cid);
    if (!stored) await Promise.all([bus.saveState(cid, null), bus.dropTools(cid)]);
  }

  /**
   * The session store as the relay's AgentServer uses it: a session loaded to be taken over (its
   * relay died, or its client came back through another) has the tools announced for it read from
   * the cluster at the same time, and defined on it as it resumes (before any call of the client).
   */
  private carryingTools(store: SessionStore, bus: RelayBus): SessionStore {
    return {
      create: (record) => store.create(record),
      load: async (id) => {
        const [stored, tools] = await Promise.all([store.load(id), bus.loadTools(id).catch(() => [])]);
        if (stored && tools.length > 0) {
          try {
            this.carried.set(id, parseTools(tools));
            // A load whose resume did not go through leaves its entry: keep a bound on them.
            if (this.carried.size > MAX_CARRIED) this.carried.delete(this.carried.keys().next().value as string);
          } catch {
            // a record not written by a relay: nothing to carry
          }
        }
        return stored;
      },
      claim: (id, owner) => store.claim(id, owner),
      journal: (id, owner) => store.journal(id, owner),
      expire: (id, ttlMs, owner) => store.expire(id, ttlMs, owner),
      delete: (id, owner) => store.delete(id, owner),
    };
  }

  /** The connection's state, read from the cluster once when the session came from another relay. */
  private async stateOf(cid: string): Promise<string | undefined> {
    if (!this.bus || this.stateKnown.has(cid)) return this.states.get(cid);
    const state = await this.bus.loadState(cid);
    if (!this.stateKnown.has(cid)) {
      if (state === undefined) this.states.delete(cid);
      else this.states.set(cid, state);
      if (this.server.peerOf(cid)) this.stateKnown.add(cid);
    }
    return this.states.get(cid);
  }

  /** A tool whose handler runs the call on the function. */
  private proxy(info: ToolInfo): ToolDefinition {
    const relay = this;
    return {
      ...(info.description === undefined ? {} : { description: info.description }),
      ...(info.title === undefined ? {} : { title: info.title }),
      ...(info.annotations === undefined ? {} : { annotations: info.annotations }),
      ...(info.inputSchema === undefined ? {} : { input: info.inputSchema }),
      ...(info.outputSchema === undefined ? {} : { output: info.outputSchema }),
      async *handler(args: unknown, ctx: ToolContext) {
        return yield* relay.forward(info.name, args, ctx);
      },
    };
  }

  private async *forward(tool: string, args: unknown, ctx: ToolContext): AsyncGenerator<unknown, unknown, undefined> {
    const timeoutMs = this.options.function.timeoutMs ?? 60_000;
    const deadline = Date.now() + timeoutMs;
    const cid = ctx.sessionId;
    const codec = relayCodec(this.codecName);
    const body =
      this.options.function.format === 'compat'
        ? encodeCompatRequest({ cid, id: ctx.messageId, tool, args, delivery: ctx.delivery, traceparent: ctx.traceparent })
        : encodeInvokeRequest({
            cid,
            id: ctx.messageId,
            tool,
            args,
            delivery: ctx.delivery,
            deadline,
            state: this.bus && !this.stateKnown.has(cid) ? await this.stateOf(cid) : this.states.get(cid),
            principal: ctx.principal?.id,
            ns: this.members.get(cid)?.ns,
            agent: this.members.get(cid)?.agentId,
            traceparent: ctx.traceparent,
            callback: { url: this.callbackUrl, ...this.requestToken(cid) },
          }, codec);
    // Made only when the deadline passes: an Error per call would cost more than the call.
    const timedOut = () => new ProtocolError(GATEWAY_TIMEOUT, `function did not finish within ${timeoutMs} ms`);
    let frames: AsyncIterable<RelayFrame>;
    let onAbort: () => void;
    let stop: () => void;
    if (ctx.delivery === 'exactly-once') {
      const run = this.sharedRun(`${ctx.principal?.id ?? ''}:${ctx.messageId}`, timeoutMs, timedOut, (signal) => this.fn.invoke(body, codec, signal), cid);
      const follow = new AbortController();
      frames = run.follow(follow.signal);
      // INTERRUPT (the session is still there) stops the function; a session that ended only stops following it.
      onAbort = () => {
        if (this.server.peerOf(cid)) {
          run.abort.abort(ctx.signal.reason);
          // The function keeps an exactly-once call running when its request drops (so that a
          // relay that dies does not end it): an INTERRUPT is said explicitly.
          // (A compatibility-format request carries no principal, so neither does its cancel.)
          const principal = this.options.function.format === 'compat' ? undefined : ctx.principal?.id;
          void this.fn.cancel(encodeCancelRequest({ id: ctx.messageId, principal }, codec), codec);
        }
        follow.abort(ctx.signal.reason);
      };
      stop = () => {};
    } else {
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(timedOut()), timeoutMs);
      frames = this.withSideEffects(cid, this.fn.invoke(body, codec, abort.signal));
      onAbort = () => abort.abort(ctx.signal.reason);
      stop = () => clearTimeout(timer);
    }
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const frame of frames) {
        switch (frame.type) {
          case RelayFrameType.CHUNK:
          case RelayFrameType.CHUNK_BYTES:
            yield frame.data;
            break;
          case RelayFrameType.RESULT:
            return frame.metrics?.cpuMs === undefined ? frame.result : new ReportedResult(frame.result, { cpuMs: frame.metrics.cpuMs });
          case RelayFrameType.ERROR:
            throw new ProtocolError(frame.code, frame.message, { data: frame.data });
          default:
            break; // TOOL_DEF and STATE were applied as they arrived
        }
      }
      return undefined; // not reached: invoke() throws when no terminal frame came
    } finally {
      stop();
      ctx.signal.removeEventListener('abort', onAbort);
    }
  }

  /** The running (or just finished) exactly-once call with this key, started if there is none. */
  private sharedRun(
    key: string,
    timeoutMs: number,
    timedOut: () => ProtocolError,
    start: (signal: AbortSignal) => AsyncIterable<RelayFrame>,
    cid: string,
  ): SharedRun {
    const existing = this.runs.get(key);
    if (existing) return existing;
    const run = new SharedRun();
    this.runs.set(key, run);
    const timer = setTimeout(() => run.abort.abort(timedOut()), timeoutMs);
    void run.pump(start(run.abort.signal), (frame) => this.sideEffect(cid, frame)).finally(() => {
      clearTimeout(timer);
      // Kept a while for a retry whose first attempt's session ended before the answer came.
      setTimeout(() => {
        if (this.runs.get(key) === run) this.runs.delete(key);
      }, RUN_RETENTION_MS).unref();
    });
    return run;
  }

  private async *withSideEffects(cid: string, frames: AsyncIterable<RelayFrame>): AsyncGenerator<RelayFrame, void, undefined> {
    for await (const frame of frames) {
      this.sideEffect(cid, frame);
      yield frame;
    }
  }

  private sideEffect(cid: string, frame: RelayFrame): void {
    if (frame.type === RelayFrameType.TOOL_DEF) this.defineFor(cid, frame.tools, frame.removed);
    else if (frame.type === RelayFrameType.STATE) this.setState(cid, frame.state);
  }

  /** Tools announced by the function for one connection: proxies on that session (replacing one of the same name). */
  private defineFor(cid: string, tools: ToolInfo[], removed: string[], record = true): void {
    const peer = this.server.peerOf(cid);
    if (!peer) return;
    for (const name of removed) peer.removeTool(name);
    for (const info of tools) {
      peer.removeTool(info.name);
      peer.defineTool(info.name, this.proxy(info));
    }
    // In a cluster, recorded with the connection, so a relay that takes the session over serves them.
    if (record && this.bus && (tools.length > 0 || removed.length > 0)) void this.bus.saveTools(cid, tools, removed).catch(() => {});
  }

  private message(cid: string, event: string, data: unknown, delivery: Delivery): void {
    this.server.peerOf(cid)?.deliver({ id: this.newId(), event, data, from: this.agent.name, delivery });
  }

  private setState(cid: string, state: string | null): void {
    if (state === null) this.states.delete(cid);
    else this.states.set(cid, state);
    if (this.bus) {
      this.stateKnown.add(cid);
      void this.bus.saveState(cid, state).catch(() => {});
    }
  }
}

/** JSON with keys sorted at every depth, so two ToolInfos built in different key orders compare equal. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}
