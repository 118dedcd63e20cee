import {
  AgentSocketError,
  type Call,
  type Codec,
  createCodec,
  ErrorCode,
  type Hub,
  type HubConnection,
  type HubMember,
  type InvokeOptions,
  ProtocolError,
  type Target,
  type TeamMessage,
  ulidFactory,
} from '@agentsocket/core';
import { EventEmitter } from 'node:events';
import type { Namespace, Server, Socket } from 'socket.io';
import { RemoteCalls } from './hub-calls.js';
import { HUB_EVENT, type HubAnswer, type HubRequest, parseAnswer, parseRequest } from './hub-protocol.js';
import { unreliableMessageFrame } from './message-frame.js';
import { ServerSocketTransport } from './server-socket.js';
import { FRAME_EVENT } from './socket-transport.js';

export interface SocketIoHubOptions {
  /** This process's name in requests between nodes. @default a random id */
  nodeId?: string;
  /** Codecs the AgentServer speaks; an at-most-once broadcast emits one frame per codec. @default ['msgpack', 'json'] */
  codecs?: string[];
  /** How long fetchSockets waits for the other nodes, ms. Requests use the adapter's own timeout (5 s). @default 5000 */
  requestTimeoutMs?: number;
  /** The Socket.IO namespace that carries requests between nodes; clients are refused there. @default '/asp-hub' */
  controlNamespace?: string;
  /** While calls run on other nodes, how often to check those nodes are still there, ms. @default 2000 */
  liveCheckMs?: number;
}

/** Room names the hub keeps for itself: every member, one room per agent, one per codec. */
export const RESERVED_ROOM_PREFIX = 'asp:';
export const MEMBERS_ROOM = 'asp:members';
export const agentRoom = (agentId: string): string => `asp:agent:${agentId}`;
const codecRoom = (codec: string): string => `asp:codec:${codec}`;

/** A member whose session lives on this node, and the socket carrying it now (none between a drop and the resume). */
interface Local {
  readonly member: HubMember;
  readonly rooms: Set<string>;
  socket: Socket | undefined;
}

type Asked = HubAnswer['type'];

/**
 * Agent teams on Socket.IO itself: a team namespace is the Socket.IO namespace of the same name,
 * membership and rooms are Socket.IO rooms of the member's socket, and at-most-once messages go
 * out as one Socket.IO broadcast. Reliable messages and agent-to-agent calls go through each
 * member's session, reaching other nodes through the adapter's serverSideEmit.
 */
export function socketIoHub(io: Server, options: SocketIoHubOptions = {}): SocketIoHub {
  return new SocketIoHub(io, options);
}

export class SocketIoHub implements Hub {
  readonly nodeId: string;
  private readonly io: Server;
  private readonly control: Namespace;
  private readonly codecs = new Map<string, Codec>();
  private readonly timeoutMs: number;
  private readonly liveCheckMs: number;
  private liveCheck: ReturnType<typeof setInterval> | undefined;
  private readonly sessions = new Map<string, Local>();
  private readonly agents = new Map<string, Map<string, Local>>();
  private readonly calls: RemoteCalls;
  /** False with the in-memory adapter (one server), whose serverSideEmit never answers. */
  private readonly clustered: boolean;
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
    this.clustered = implementsServerSideEmit(this.control.adapter);
    this.calls = new RemoteCalls(this.nodeId, (request) => this.emitToNodes([HUB_EVENT, request]));
  }

  async attach(member: HubMember): Promise<void> {
    this.refuseTwin(member);
    const { answers, complete } = await this.ask('claim', { type: 'claim', ns: member.ns, agentId: member.agentId, sessionId: member.sessionId });
    if (answers.some((a) => a.conflict)) throw conflict(member);
    // Unchecked, the agent id could be live on a node that did not answer: refuse visibly instead.
    if (!complete) throw new ProtocolError(ErrorCode.UNAVAILABLE, 'could not check the agent id with every node; try again');
    this.refuseTwin(member); // another attach may have won while the other nodes answered
    const existing = this.agents.get(member.ns)?.get(member.agentId);
    if (existing) this.forget(existing);
    const local: Local = { member, rooms: new Set(), socket: undefined };
    this.sessions.set(member.sessionId, local);
    let byAgent = this.agents.get(member.ns);
    if (!byAgent) {
      byAgent = new Map();
      this.agents.set(member.ns, byAgent);
    }
    byAgent.set(member.agentId, local);
  }

  connected(member: HubMember, { transport, codec }: HubConnection): void {
    const local = this.sessions.get(member.sessionId);
    if (local?.member !== member) return;
    if (!(transport instanceof ServerSocketTransport)) {
      throw new AgentSocketError('INVALID_OPTIONS', 'socketIoHub serves only connections accepted by socketIoServer');
    }
    const { socket } = transport;
    if (socket.nsp.name !== member.ns) {
      throw new AgentSocketError('INVALID_OPTIONS', `namespace ${member.ns} arrived on Socket.IO namespace ${socket.nsp.name}: use socketIoServer({ teamNamespaces: true })`);
    }
    if (!this.codecs.has(codec)) throw new AgentSocketError('INVALID_OPTIONS', `codec ${codec} is not in socketIoHub's codecs`);
    local.socket = socket;
    const asp = { agentId: member.agentId, sessionId: member.sessionId };
    const data: unknown = socket.data;
    if (typeof data === 'object' && data !== null) Object.assign(data, { asp });
    else socket.data = { asp };
    socket.once('disconnect', () => {
      if (local.socket === socket) local.socket = undefined;
    });
    void quietly(socket.join([MEMBERS_ROOM, agentRoom(member.agentId), codecRoom(codec), ...local.rooms]));
  }

  async detach(member: HubMember): Promise<void> {
    const local = this.sessions.get(member.sessionId);
    if (local?.member === member) this.forget(local);
  }

  async join(member: HubMember, room: string): Promise<void> {
    if (room.startsWith(RESERVED_ROOM_PREFIX)) {
      throw new ProtocolError(ErrorCode.FORBIDDEN, `room names starting with "${RESERVED_ROOM_PREFIX}" are reserved`);
    }
    const local = this.own(member);
    local.rooms.add(room);
    await local.socket?.join(room);
  }

  async leave(member: HubMember, room: string): Promise<void> {
    const local = this.own(member);
    local.rooms.delete(room);
    await local.socket?.leave(room);
  }

  async rooms(member: HubMember): Promise<string[]> {
    return [...this.own(member).rooms];
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
      this.broadcast(ns, target, message, exceptAgent);
      const { answers } = await this.ask('send', { type: 'send', ns, target, ...except });
      return this.locals(ns, target, exceptAgent, true).length + sum(answers);
    }
    const here = this.locals(ns, target, exceptAgent, false);
    for (const local of here) local.member.deliver(message);
    if ('to' in target && here.length > 0) return here.length;
    const { answers, complete } = await this.ask('send', { type: 'send', ns, target, message, ...except });
    if (!complete) {
      throw new ProtocolError(ErrorCode.UNAVAILABLE, `some nodes did not confirm the message; ${here.length + sum(answers)} agents have it`);
    }
    return here.length + sum(answers);
  }

  invoke<T = unknown>(ns: string, to: string, tool: string, args: unknown, options: InvokeOptions = {}): Call<T> {
    const local = this.agents.get(ns)?.get(to);
    if (local) return local.member.invoke<T>(tool, args, options);
    const id = this.newId();
    const call = this.calls.open<T>(id, tool, options);
    const timeout = options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs };
    const request: HubRequest = { type: 'invoke', from: this.nodeId, call: id, ns, to, tool, args, delivery: call.delivery, ...timeout };
    this.ask('invoke', request).then(
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
      this.ask('ping', { type: 'ping' }).then(
        ({ answers }) => this.calls.ownersGone(new Set([this.nodeId, ...answers.map((a) => a.node)])),
        () => {}, // Redis is unreachable: nothing can be told apart; check again next time
      );
    }, this.liveCheckMs);
    this.liveCheck.unref();
  }

  /** Sends one frame per codec through Socket.IO's broadcast: the adapter takes it to every node. */
  private broadcast(ns: string, target: Target, message: TeamMessage, exceptAgent: string | undefined): void {
    const room = 'to' in target ? agentRoom(target.to) : 'room' in target ? target.room : MEMBERS_ROOM;
    const excluded = exceptAgent === undefined ? [] : [agentRoom(exceptAgent)];
    for (const [name, codec] of this.codecs) {
      const others = [...this.codecs.keys()].filter((c) => c !== name).map(codecRoom);
      this.io.of(ns).to(room).except([...excluded, ...others]).emit(FRAME_EVENT, unreliableMessageFrame(codec, message));
    }
  }

  /** Members of this node matching a target; `connectedOnly` leaves out those waiting to resume. */
  private locals(ns: string, target: Target, exceptAgent: string | undefined, connectedOnly: boolean): Local[] {
    const byAgent = this.agents.get(ns);
    if (!byAgent) return [];
    const found = 'to' in target ? [byAgent.get(target.to)] : [...byAgent.values()];
    return found.filter(
      (l): l is Local =>
        l !== undefined &&
        l.member.agentId !== exceptAgent &&
        (!('room' in target) || l.rooms.has(target.room)) &&
        (!connectedOnly || l.socket !== undefined),
    );
  }

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
        const existing = this.agents.get(request.ns)?.get(request.agentId);
        // The same session resumed on the asking node: it is theirs now.
        if (existing?.member.sessionId === request.sessionId) this.forget(existing);
        reply({ type: 'claim', conflict: existing !== undefined && existing.member.sessionId !== request.sessionId });
        return;
      }
      case 'send': {
        const targets = this.locals(request.ns, request.target, request.except, request.message === undefined);
        const { message } = request;
        if (message) for (const local of targets) local.member.deliver(message);
        reply({ type: 'send', count: targets.length });
        return;
      }
      case 'invoke': {
        const local = this.agents.get(request.ns)?.get(request.to);
        if (local) this.calls.serve(request, local.member);
        reply({ type: 'invoke', node: this.nodeId, accepted: local !== undefined });
        return;
      }
      case 'ping':
        reply({ type: 'ping', node: this.nodeId });
        return;
    }
  }

  /** Asks every other node; `complete` is false when some did not answer in time. */
  private async ask<K extends Asked>(type: K, request: HubRequest): Promise<{ answers: Array<Extract<HubAnswer, { type: K }>>; complete: boolean }> {
    if (!this.clustered) return { answers: [], complete: true };
    let raw: unknown[];
    let complete = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // The adapter times requests out itself (5 s); this bound only guards against one that never answers.
    const guard = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('no answer from the adapter')), this.timeoutMs + 1000);
    });
    const answered = new Promise<unknown[]>((resolve, reject) => {
      const ack = (error: unknown, responses: unknown) => {
        const list = Array.isArray(responses) ? responses : [];
        if (error) reject(Object.assign(new Error(message(error)), { responses: list }));
        else resolve(list);
      };
      this.emitToNodes([HUB_EVENT, request, ack], (error) => ack(error, []));
    });
    try {
      raw = await Promise.race([answered, guard]);
    } catch (error) {
      complete = false;
      raw = responsesOf(error);
    } finally {
      clearTimeout(timer);
    }
    const answers: Array<Extract<HubAnswer, { type: K }>> = [];
    for (const r of raw) {
      try {
        answers.push(parseAnswer(type, r));
      } catch {
        complete = false;
      }
    }
    return { answers, complete };
  }

  /**
   * The adapter's serverSideEmit, called directly: Namespace.serverSideEmit drops the promise a
   * cluster adapter returns, and a Redis error in it would be an unhandled rejection.
   */
  private emitToNodes(packet: unknown[], onError: (error: unknown) => void = () => {}): void {
    try {
      const result: unknown = this.control.adapter.serverSideEmit(packet);
      if (result instanceof Promise) result.catch(onError);
    } catch (error) {
      onError(error);
    }
  }

  private refuseTwin(member: HubMember): void {
    const existing = this.agents.get(member.ns)?.get(member.agentId);
    if (existing && existing.member !== member && existing.member.sessionId !== member.sessionId) throw conflict(member);
  }

  private own(member: HubMember): Local {
    const local = this.sessions.get(member.sessionId);
    if (local?.member !== member) throw new ProtocolError(ErrorCode.SESSION_EXPIRED, 'this session is no longer a member here');
    return local;
  }

  private forget(local: Local): void {
    const { member, socket } = local;
    if (this.sessions.get(member.sessionId) === local) this.sessions.delete(member.sessionId);
    const byAgent = this.agents.get(member.ns);
    if (byAgent?.get(member.agentId) === local) byAgent.delete(member.agentId);
    if (byAgent?.size === 0) this.agents.delete(member.ns);
    local.socket = undefined;
    if (socket) for (const room of [...local.rooms, MEMBERS_ROOM, agentRoom(member.agentId)]) void quietly(socket.leave(room));
  }
}

/**
 * Socket.IO's in-memory Adapter (the base class, right above EventEmitter) only warns in
 * serverSideEmit; every cluster adapter overrides it.
 */
function implementsServerSideEmit(adapter: object): boolean {
  let base: object | null = Object.getPrototypeOf(adapter);
  while (base !== null && Object.getPrototypeOf(base) !== EventEmitter.prototype) base = Object.getPrototypeOf(base);
  if (base === null) return true;
  const own: unknown = Reflect.get(adapter, 'serverSideEmit');
  const inherited: unknown = Reflect.get(base, 'serverSideEmit');
  return own !== inherited;
}

function conflict(member: HubMember): ProtocolError {
  return new ProtocolError(ErrorCode.CONFLICT, `agent id "${member.agentId}" is already connected in ${member.ns}`);
}

function agentIdOf(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null || !('asp' in data)) return undefined;
  const asp: unknown = data.asp;
  return typeof asp === 'object' && asp !== null && 'agentId' in asp && typeof asp.agentId === 'string' ? asp.agentId : undefined;
}

function responsesOf(error: unknown): unknown[] {
  return error instanceof Error && 'responses' in error && Array.isArray(error.responses) ? error.responses : [];
}

function sum(answers: Array<{ count: number }>): number {
  return answers.reduce((n, a) => n + a.count, 0);
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Joins and leaves are promises with some adapters; their failure leaves the hub's own records right. */
async function quietly(result: Promise<void> | void): Promise<void> {
  try {
    await result;
  } catch {
    // the socket is gone; its rooms went with it
  }
}
