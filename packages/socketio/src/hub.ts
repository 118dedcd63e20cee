import {
  AgentSocketError,
  Call,
  type Codec,
  ErrorCode,
  type Hub,
  type HubConnection,
  type HubMember,
  type InvokeOptions,
  ProtocolError,
  type Target,
  type TeamMessage,
} from '@agentsocket/core';
import { checkMessageId, createCodec, ulidFactory, unreliableMessageFrame } from '@agentsocket/core/internal';
import type { Namespace, Server } from 'socket.io';
import { RemoteCalls } from './hub-calls.js';
import { agentRoom, conflict, type Local, LocalMembers, MEMBERS_ROOM, quietly, RESERVED_ROOM_PREFIX } from './hub-members.js';
import { NodeLink } from './hub-nodes.js';
import { HUB_EVENT, type HubAnswer, type HubRequest, parseRequest } from './hub-protocol.js';

export { agentRoom, MEMBERS_ROOM, RESERVED_ROOM_PREFIX } from './hub-members.js';

export interface SocketIoHubOptions {
  /** This process's name in requests between nodes. @default a random id */
  nodeId?: string;
  /** Codecs the AgentServer speaks; an at-most-once message is encoded once per codec. @default ['msgpack', 'json'] */
  codecs?: string[];
  /** How long fetchSockets waits for the other nodes, ms. Requests use the adapter's own timeout (5 s). @default 5000 */
  requestTimeoutMs?: number;
  /** The Socket.IO namespace that carries requests between nodes; clients are refused there. @default '/asp-hub' */
  controlNamespace?: string;
  /** While calls run on other nodes, how often to check those nodes are still there, ms. @default 2000 */
  liveCheckMs?: number;
}

/**
 * Agent teams on Socket.IO itself: a team namespace is the Socket.IO namespace of the same name,
 * and membership and rooms are Socket.IO rooms of the member's socket. Every frame goes out
 * through the member's transport (its batching and slow-consumer bound): an at-most-once message
 * encoded once per codec, a reliable one through the member's session. Other nodes are reached
 * through the adapter's serverSideEmit.
 */
export function socketIoHub(io: Server, options: SocketIoHubOptions = {}): SocketIoHub {
  return new SocketIoHub(io, options);
}

export class SocketIoHub implements Hub {
  readonly nodeId: string;
  private readonly io: Server;
  private readonly control: Namespace;
  private readonly nodes: NodeLink;
  private readonly codecs = new Map<string, Codec>();
  private readonly timeoutMs: number;
  private readonly liveCheckMs: number;
  private liveCheck: ReturnType<typeof setInterval> | undefined;
  private readonly locals = new LocalMembers();
  private readonly calls: RemoteCalls;
  private readonly newId = ulidFactory();
  private readonly onRequest = (raw: unknown, ack: unknown) => this.answer(raw, ack);

  constructor(io: Server, options: SocketIoHubOptions = {}) {
    this.io = io;
    this.nodeId = options.nodeId ?? this.newId().slice(-12);
    this.timeoutMs = options.requestTimeoutMs ?? 5000;
    this.liveCheckMs = options.liveCheckMs ?? 2000;
    for (const name of options.codecs ?? ['msgpack', 'json']) this.codecs.set(name, createCodec(name));
    this.control = io.of(options.controlNamespace ?? '/asp-hub');
    this.control.use((_socket, next) => next(new Error('this namespace carries requests between servers only')));
    this.control.on(HUB_EVENT, this.onRequest);
    this.nodes = new NodeLink(this.control, this.timeoutMs);
    this.calls = new RemoteCalls(this.nodeId, (request) => this.nodes.post(request));
  }

  async attach(member: HubMember): Promise<void> {
    this.locals.refuseTwin(member);
    const claim: HubRequest = { type: 'claim', ns: member.ns, agentId: member.agentId, sessionId: member.sessionId };
    const { answers, complete } = await this.nodes.ask('claim', claim);
    if (answers.some((a) => a.conflict)) throw conflict(member);
    // Unchecked, the agent id could be live on a node that did not answer: refuse visibly instead.
    if (!complete) throw new ProtocolError(ErrorCode.UNAVAILABLE, 'could not check the agent id with every node; try again');
    this.locals.refuseTwin(member); // another attach may have won while the other nodes answered
    this.locals.add(member);
  }

  connected(member: HubMember, { transport, info, codec }: HubConnection): void {
    const local = this.locals.of(member);
    if (!local) return;
    if (info.transport !== 'socket.io' || info.id === undefined) {
      throw new AgentSocketError('INVALID_OPTIONS', 'socketIoHub serves only connections accepted by socketIoServer');
    }
    const socket = this.io.of(member.ns).sockets.get(info.id);
    if (!socket) {
      throw new AgentSocketError('INVALID_OPTIONS', `namespace ${member.ns} arrived on Socket.IO namespace ${info.path ?? '?'}: use socketIoServer({ teamNamespaces: true })`);
    }
    if (!this.codecs.has(codec)) throw new AgentSocketError('INVALID_OPTIONS', `codec ${codec} is not in socketIoHub's codecs`);
    local.socket = socket;
    local.transport = transport;
    local.codec = codec;
    const asp = { agentId: member.agentId, sessionId: member.sessionId };
    const data: unknown = socket.data;
    if (typeof data === 'object' && data !== null) Object.assign(data, { asp });
    else socket.data = { asp };
    socket.once('disconnect', () => {
      if (local.socket !== socket) return;
      local.socket = undefined;
      local.transport = undefined;
    });
    void quietly(socket.join([MEMBERS_ROOM, agentRoom(member.agentId), ...local.rooms]));
  }

  async detach(member: HubMember): Promise<void> {
    const local = this.locals.of(member);
    if (local) this.locals.forget(local);
  }

  async join(member: HubMember, room: string): Promise<void> {
    if (room.startsWith(RESERVED_ROOM_PREFIX)) {
      throw new ProtocolError(ErrorCode.FORBIDDEN, `room names starting with "${RESERVED_ROOM_PREFIX}" are reserved`);
    }
    const local = this.locals.own(member);
    local.rooms.add(room);
    await local.socket?.join(room);
  }

  async leave(member: HubMember, room: string): Promise<void> {
    const local = this.locals.own(member);
    local.rooms.delete(room);
    await local.socket?.leave(room);
  }

  async rooms(member: HubMember): Promise<string[]> {
    return [...this.locals.own(member).rooms];
  }

  /** Agents whose sockets are in the room, on every node (fetchSockets through the adapter). */
  async members(ns: string, room?: string): Promise<string[]> {
    let sockets: Array<{ data: unknown }>;
    try {
      sockets = await this.io.of(ns).in(room ?? MEMBERS_ROOM).timeout(this.timeoutMs).fetchSockets();
    } catch (error) {
      throw new ProtocolError(ErrorCode.UNAVAILABLE, `could not list members across nodes: ${message(error)}`, { cause: error });
    }
    const ids = new Set<string>();
    for (const s of sockets) {
      const id = agentIdOf(s.data);
      if (id !== undefined) ids.add(id);
    }
    return [...ids];
  }

  async send(ns: string, target: Target, message: TeamMessage, exceptAgent?: string): Promise<number> {
    const except = exceptAgent === undefined ? {} : { except: exceptAgent };
    if (message.delivery === 'at-most-once') {
      const here = this.sendFrames(this.locals.matching(ns, target, exceptAgent, true), message);
      if ('to' in target && here > 0) return here;
      // Delivered by the other nodes as here; one that does not answer is not counted (at most once).
      const { answers } = await this.nodes.ask('send', { type: 'send', ns, target, message, ...except });
      return here + sum(answers);
    }
    const here = this.locals.matching(ns, target, exceptAgent, false);
    for (const local of here) local.member.deliver(message);
    if ('to' in target && here.length > 0) return here.length;
    const { answers, complete } = await this.nodes.ask('send', { type: 'send', ns, target, message, ...except });
    if (!complete) {
      throw new ProtocolError(ErrorCode.UNAVAILABLE, `some nodes did not confirm the message; ${here.length + sum(answers)} agents have it`);
    }
    return here.length + sum(answers);
  }

  invoke<T = unknown>(ns: string, to: string, tool: string, args: unknown, options: InvokeOptions = {}): Call<T> {
    const local = this.locals.get(ns, to);
    if (local) return local.member.invoke<T>(tool, args, options);
    let messageId: string | undefined;
    try {
      messageId = options.messageId === undefined ? undefined : checkMessageId(options.messageId);
    } catch (error) {
      // As a session refuses it: the call fails with INVALID_OPTIONS, nothing is sent.
      const refused = new Call<T>(tool, '', options.delivery ?? 'at-least-once');
      refused.fail(error);
      return refused;
    }
    const id = this.newId();
    const call = this.calls.open<T>(id, tool, options, messageId);
    const request: Extract<HubRequest, { type: 'invoke' }> = { type: 'invoke', from: this.nodeId, call: id, ns, to, tool, args, delivery: call.delivery };
    if (options.timeoutMs !== undefined) request.timeoutMs = options.timeoutMs;
    if (messageId !== undefined) request.messageId = messageId;
    if (options.traceparent !== undefined) request.traceparent = options.traceparent;
    if (options.metrics) request.metrics = true;
    this.nodes.ask('invoke', request).then(
      ({ answers, complete }) => {
        const owner = answers.find((a) => a.accepted)?.node;
        if (owner === undefined) {
          const error = complete
            ? new ProtocolError(ErrorCode.AGENT_NOT_FOUND, `no agent "${to}" in ${ns}`)
            : new ProtocolError(ErrorCode.UNAVAILABLE, `could not reach every node to find agent "${to}"`);
          this.calls.fail(id, error);
          return;
        }
        this.calls.accepted(id, owner, options.signal);
        this.watchOwners();
      },
      (error: unknown) => this.calls.fail(id, error instanceof Error ? error : new Error(String(error))),
    );
    return call;
  }

  async close(): Promise<void> {
    clearInterval(this.liveCheck);
    this.liveCheck = undefined;
    this.control.off(HUB_EVENT, this.onRequest);
    this.calls.close();
  }

  /** A node that dies mid-call sends no outcome: while calls run elsewhere, check their nodes answer. */
  private watchOwners(): void {
    if (this.liveCheck) return;
    this.liveCheck = setInterval(() => {
      if (!this.calls.waiting) {
        clearInterval(this.liveCheck);
        this.liveCheck = undefined;
        return;
      }
      this.nodes.ask('ping', { type: 'ping' }).then(
        ({ answers }) => this.calls.ownersGone(new Set([this.nodeId, ...answers.map((a) => a.node)])),
        () => {}, // Redis is unreachable: nothing can be told apart; check again next time
      );
    }, this.liveCheckMs);
    this.liveCheck.unref();
  }

  /**
   * Sends an at-most-once message to connected members through their transports: one encoding
   * per codec (no sequence number, so the same bytes suit every session), each send under its
   * transport's batching and slow-consumer bound. Returns how many transports took it.
   */
  private sendFrames(locals: Local[], message: TeamMessage): number {
    let frames: Map<string, Uint8Array> | undefined;
    let sent = 0;
    for (const { transport, codec: name } of locals) {
      const codec = this.codecs.get(name);
      if (!transport || !codec) continue;
      frames ??= new Map();
      let frame = frames.get(name);
      if (!frame) {
        frame = unreliableMessageFrame(codec, message);
        frames.set(name, frame);
      }
      try {
        transport.send(frame);
        sent++;
      } catch {
        // Closed just now, or cut as a slow consumer: an at-most-once message is not kept for it.
      }
    }
    return sent;
  }

  /** Answers another node's request from this node's members. */
  private answer(raw: unknown, ack: unknown): void {
    let request: HubRequest;
    try {
      request = parseRequest(raw);
    } catch {
      return; // not a hub request we understand: another version of the hub, or not ours
    }
    const reply = (answer: HubAnswer) => {
      if (typeof ack === 'function') ack(answer);
    };
    if (this.calls.handle(request)) return;
    switch (request.type) {
      case 'claim': {
        const existing = this.locals.get(request.ns, request.agentId);
        // The same session resumed on the asking node: it is theirs now.
        if (existing?.member.sessionId === request.sessionId) this.locals.forget(existing);
        reply({ type: 'claim', conflict: existing !== undefined && existing.member.sessionId !== request.sessionId });
        return;
      }
      case 'send': {
        const { message } = request;
        const unreliable = message === undefined || message.delivery === 'at-most-once';
        const targets = this.locals.matching(request.ns, request.target, request.except, unreliable);
        if (!message) reply({ type: 'send', count: targets.length }); // a count only (a node of an earlier version broadcast it)
        else if (unreliable) reply({ type: 'send', count: this.sendFrames(targets, message) });
        else {
          for (const local of targets) local.member.deliver(message);
          reply({ type: 'send', count: targets.length });
        }
        return;
      }
      case 'invoke': {
        const local = this.locals.get(request.ns, request.to);
        if (local) this.calls.serve(request, local.member);
        reply({ type: 'invoke', node: this.nodeId, accepted: local !== undefined });
        return;
      }
      case 'ping':
        reply({ type: 'ping', node: this.nodeId });
        return;
    }
  }
}

function agentIdOf(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null || !('asp' in data)) return undefined;
  const asp: unknown = data.asp;
  return typeof asp === 'object' && asp !== null && 'agentId' in asp && typeof asp.agentId === 'string' ? asp.agentId : undefined;
}

function sum(answers: Array<{ count: number }>): number {
  return answers.reduce((n, a) => n + a.count, 0);
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
