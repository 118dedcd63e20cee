import { Call, type InvokeOptions } from './call.js';
import { approxSize } from './approx-size.js';
import { type AckSender, Acks, carriedAck } from './acks.js';
import { CallTable, PendingCall } from './call-table.js';
import { DEFAULT_ACK_DELAY_MS, DEFAULT_DEDUP_TTL_MS, DEFAULT_MAX_PEER_TOOL_BYTES, INTERRUPT_GRACE_MS } from './defaults.js';
import type { Codec } from './codec.js';
import type { DedupStore } from './dedup.js';
import { AgentSocketError, CloseCode, ErrorCode, ProtocolError } from './errors.js';
import { decodeFrame, encodeWithHeaderRoom, HEADER_SIZE, writeHeader } from './frame.js';
import { checkMessageId, RequestIdAllocator } from './ids.js';
import { type IncomingCall, IncomingCalls, type IncomingHost, type Route } from './incoming-calls.js';
import { idempotent } from './once.js';
import { type Message, parseMessage, readSq, type ToolInfo } from './messages.js';
import { Flag, FrameType, frameTypeName, isKnownFrameType, PROTOCOL_VERSION } from './opcodes.js';
import {
  ackPayload,
  errorPayload,
  goAwayPayload,
  interruptPayload,
  invokePayload,
  leanPayload,
  messagePayload,
  type Payload,
  payloadFrame,
  pingPayload,
  streamPayload,
  toolDefPayload,
} from './payloads.js';
import { ReliableChannel, type WindowOptions } from './reliable.js';
import type { TeamMessage } from './hub.js';
import type { SessionJournal } from './session-store.js';
import type { ToolDefinition, ToolRegistry } from './tool.js';
import type { Principal, Transport, TransportCloseInfo } from './transport.js';
import { WireShapeError } from './wire.js';
import { HeartbeatClock } from './heartbeat.js';

export interface PeerOptions {
  side: 'client' | 'server';
  codec: Codec;
  /** Tools this side serves to the peer. */
  registry: ToolRegistry;
  sessionId: string;
  principal?: Principal | undefined;
  /** Largest payload this side accepts. */
  maxFrame: number;
  /** Largest payload the peer accepts. */
  peerMaxFrame: number;
  /** Requests the peer may have running here at once. */
  maxInflight: number;
  /** Requests this side may have running at the peer at once. */
  peerMaxInflight: number;
  heartbeatMs: number;
  /** Shares heartbeat timers with other peers (a server passes one for all its sessions). @default a clock of this peer's own */
  heartbeats?: HeartbeatClock | undefined;
  /**
   * A peer that stops reading: when the transport's backlog (bufferedAmount) is above `bytes` at
   * every heartbeat check for `ms` and the peer acknowledged nothing in that time, the connection
   * is closed with 4429 SLOW_CONSUMER, whatever else the peer sends. @default no check (a server passes its own)
   */
  slowConsumer?: SlowConsumerBound | undefined;
  window?: WindowOptions | undefined;
  /** Longest wait before acknowledging received frames. @default 5 */
  ackDelayMs?: number | undefined;
  /** Largest tool list the peer may build up with TOOL_DEF, bytes (estimated); a TOOL_DEF past it gets ERROR 413. @default 1 MiB */
  maxPeerToolBytes?: number | undefined;
  dedup: DedupStore;
  /** How long exactly-once outcomes are kept. @default 300000 */
  dedupTtlMs?: number | undefined;
  /** Prefix for dedup keys (agent and principal), so callers cannot read each other's outcomes. A server's sessions add the principal themselves. */
  dedupScope: string;
  newId: () => string;
  /** What the peer tells its owner: one object, which may serve many peers (a server's sessions). */
  host: PeerHost;
  /** Journals session state for resumption elsewhere (see SessionStore). */
  journal?: SessionJournal | undefined;
}

/**
 * What a Peer tells its owner (AgentClient, or the AgentServer for each of its sessions) and asks
 * of it. Every method gets the peer it is about, so one host serves any number of peers and a
 * server's idle session holds no callbacks of its own.
 */
export interface PeerHost {
  /** The transport went away (not by close()): the owner resumes or expires the session. */
  detached(peer: Peer, info: TransportCloseInfo): void;
  /** Connection-level errors (ERROR on request 0, undecodable frames, a store that failed), for logging. */
  error(peer: Peer, error: Error): void;
  /** The journal refused a write (another process owns the session now). */
  journalFailed(peer: Peer, error: Error): void;
  /** The peer announced or withdrew tools (TOOL_DEF). */
  toolsChanged?(peer: Peer, added: ToolInfo[], removed: string[]): void;
  /** GOAWAY from the peer: reconnect after retryMs. */
  goAway?(peer: Peer, code: number, reason: string, retryMs: number | undefined): void;
  /** A team MESSAGE arrived. */
  message?(peer: Peer, message: TeamMessage): void;
  /** Routes an INVOKE addressed to another agent (`to`); absent where routing is not offered. */
  route?(peer: Peer, to: string, tool: string, args: unknown, options: InvokeOptions): Call;
  /** Prefix of the peer's exactly-once keys. @default PeerOptions.dedupScope */
  dedupScope?(peer: Peer): string;
}

export interface SlowConsumerBound {
  readonly bytes: number;
  readonly ms: number;
}

/** A call of ours waiting for its terminal frame, with what it takes to send it again on another session. */
class Outgoing extends PendingCall {
  constructor(
    call: Call,
    readonly reliable: boolean,
    readonly tool: string,
    readonly args: unknown,
    readonly options: InvokeOptions,
  ) {
    super(call);
  }
}

/**
 * One end of a session: the protocol engine shared by clients and servers. It survives its
 * transport: detach() on a drop, attach() the next transport on resume and replay what the
 * peer has not acknowledged.
 */
export class Peer implements AckSender, IncomingHost {
  readonly sessionId: string;
  readonly chan: ReliableChannel;
  private transport: Transport | undefined;
  // The options are copied, not kept: a server holds one Peer per idle connection, and keeping
  // the options object would keep a second object of twenty-odd fields (and its callbacks) each.
  readonly codec: Codec;
  /** IncomingHost */
  readonly registry: ToolRegistry;
  private readonly peerPrincipal: Principal | undefined;
  private readonly maxFrame: number;
  private readonly peerMaxFrame: number;
  /** IncomingHost */
  readonly maxInflight: number;
  private readonly peerMaxInflight: number;
  /** Heartbeat period agreed for the session, ms (0: none). */
  readonly heartbeatMs: number;
  private readonly heartbeats: HeartbeatClock;
  private readonly ackDelayMs: number;
  private readonly maxPeerToolBytes: number;
  /** IncomingHost */
  readonly dedup: DedupStore;
  /** IncomingHost */
  readonly dedupTtlMs: number;
  private readonly scope: string;
  private readonly newId: () => string;
  /** IncomingHost */
  readonly journal: SessionJournal | undefined;
  private readonly host: PeerHost;
  /** IncomingHost */
  readonly side: 'client' | 'server';
  /** Made by the first outgoing request. */
  private rids: RequestIdAllocator | undefined;
  // Created on first use: an idle session has no requests, orphans or peer tools.
  private outgoing: CallTable<number, Outgoing> | undefined;
  /** Whether a request id is taken; made with the first outgoing request. */
  private ridInUse: ((id: number) => boolean) | undefined;
  private incoming: IncomingCalls | undefined;
  /** Tools the peer serves, in announcement order. */
  private peerTools: ToolInfo[] | undefined;
  /** Request ids a previous owner of this session left running at the peer: not reused until they end. */
  private orphans: Set<number> | undefined;
  /** Acks this end owes the peer; made by the first reliable frame received. */
  private acks: Acks | undefined;
  /** Both ends take `ack` in any payload (agreed in this connection's HELLO). */
  private piggyback = false;
  /** This end sends it: agreed, and no journal (a journaled session acknowledges only what the journal holds). */
  private piggybackOut = false;
  /** Both ends may send INVOKE, STREAM and COMPLETE in the lean form (agreed in this connection's HELLO). */
  private lean = false;
  /** Reliable frames kept back until the journal holds a terminal frame among them (gate > 0), in sq order. */
  private held: Array<{ frame: Uint8Array; gate: number }> | undefined;
  /** Terminal frames held so far, and the last whose journal write has landed. */
  private gates = 0;
  private gatesOpen = 0;
  private lastHeard = 0;
  /** When the transport's backlog was first seen above the slow-consumer bound at a heartbeat, with no ACK since; 0 otherwise. */
  private backlogSince = 0;
  /** The peer's highest ACK at the last heartbeat: a reader that acknowledges is slow, not stopped. */
  private ackedAtBeat = 0;
  private readonly slowConsumer: SlowConsumerBound | undefined;
  private closed = false;
  /** Closed so another process can resume the session: running requests end without a terminal frame. */
  private handingOff = false;
  /** What every attached transport calls: bound once, so an attach makes no closures. */
  private readonly frameHandler: (bytes: Uint8Array) => void = this.onFrame.bind(this);
  private readonly closeHandler: (info: TransportCloseInfo) => void = this.transportClosed.bind(this);

  constructor(options: PeerOptions) {
    this.sessionId = options.sessionId;
    this.codec = options.codec;
    this.registry = options.registry;
    this.peerPrincipal = options.principal;
    this.maxFrame = options.maxFrame;
    this.peerMaxFrame = options.peerMaxFrame;
    this.maxInflight = options.maxInflight;
    this.peerMaxInflight = options.peerMaxInflight;
    this.heartbeatMs = options.heartbeatMs;
    this.heartbeats = options.heartbeats ?? new HeartbeatClock();
    this.slowConsumer = options.slowConsumer;
    this.ackDelayMs = options.ackDelayMs ?? DEFAULT_ACK_DELAY_MS;
    this.maxPeerToolBytes = options.maxPeerToolBytes ?? DEFAULT_MAX_PEER_TOOL_BYTES;
    this.dedup = options.dedup;
    this.dedupTtlMs = options.dedupTtlMs ?? DEFAULT_DEDUP_TTL_MS;
    this.scope = options.dedupScope;
    this.newId = options.newId;
    this.journal = options.journal;
    this.host = options.host;
    this.chan = new ReliableChannel(options.window);
    this.side = options.side;
    options.registry.onChange(this);
  }

  get attached(): boolean {
    return this.transport !== undefined;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get principal(): Principal | undefined {
    return this.peerPrincipal;
  }

  /** Tools the peer serves, as last announced. */
  get remoteTools(): ToolInfo[] {
    return this.peerTools ? [...this.peerTools] : [];
  }

  /** Requests this side has running at the peer. */
  get pendingCalls(): number {
    return this.outgoing?.size ?? 0;
  }

  /** Tools this side serves, as the peer should see them. */
  registryTools(): ToolInfo[] {
    return this.registry.list();
  }

  /** Ids of the peer's requests running here (sent in a resuming HELLO). */
  runningIncoming(): number[] {
    return this.incoming?.ids() ?? [];
  }

  /**
   * Requests the peer is still running for a previous owner of this session (restored from a
   * store): interrupt them and keep their ids out of use until their terminal frames arrive.
   */
  adoptOrphans(rids: number[]): void {
    for (const rid of rids) {
      if (!RequestIdAllocator.owns(this.side, rid) || this.outgoing?.has(rid)) continue;
      this.orphans ??= new Set();
      this.orphans.add(rid);
      this.trySend(FrameType.INTERRUPT, rid, interruptPayload('the node that made this request is gone'), true);
    }
  }

  setRemoteTools(tools: ToolInfo[]): void {
    this.peerTools = undefined;
    this.updateRemoteTools(tools, []);
  }

  /** Adds or replaces (in place) `added` and drops `removed`; false (and nothing changed) when the list would pass `limit` bytes. */
  private updateRemoteTools(added: ToolInfo[], removed: string[], limit = Number.POSITIVE_INFINITY): boolean {
    const byName = new Map<string, ToolInfo>();
    for (const t of this.peerTools ?? []) byName.set(t.name, t);
    for (const name of removed) byName.delete(name);
    for (const t of added) byName.set(t.name, t);
    const tools = [...byName.values()];
    if (limit !== Number.POSITIVE_INFINITY && approxSize(tools, limit) > limit) return false;
    // Kept as an array: TOOL_DEF is rare, and a Map would cost every idle session its hash table.
    this.peerTools = tools.length > 0 ? tools : undefined;
    return true;
  }

  /**
   * Takes over a transport whose handshake is done. Frames the peer has acknowledged up to
   * `peerLastReceived` are dropped; the rest are sent again, in order. `piggyback`: both ends
   * agreed in this handshake that any frame may carry `ack` (protocol.md §11); this end then
   * takes it, and sends it unless it has a journal (which acknowledges only what it holds).
   */
  attach(transport: Transport, peerLastReceived: number, piggyback = false, lean = false): void {
    if (this.closed) throw new AgentSocketError('SESSION_CLOSED', 'session is closed');
    this.piggyback = piggyback;
    this.lean = lean;
    this.piggybackOut = piggyback && !this.journal;
    // A transport replaced without detach() no longer speaks for this peer when it closes.
    if (this.transport && this.transport !== transport) this.transport.onclose = undefined;
    this.transport = transport;
    transport.onframe = this.frameHandler;
    transport.onclose = this.closeHandler;
    this.chan.acknowledge(peerLastReceived);
    // Held frames wait for the journal: release() sends them, in order, after these.
    const held = this.held ? new Set(this.held.map((h) => h.frame)) : undefined;
    try {
      for (const frame of this.chan.unacked()) if (!held?.has(frame)) transport.send(frame);
    } catch {
      // The new transport closed while replaying; its onclose detaches and the next resume replays again.
    }
    this.lastHeard = Date.now();
    this.backlogSince = 0;
    this.startHeartbeat();
    transport.start();
  }

  private transportClosed(info: TransportCloseInfo): void {
    this.detach();
    this.host.detached(this, info);
  }

  /** The transport is gone; unreliable requests fail, reliable ones wait for a resume. */
  detach(): void {
    // Should it close later, that is no longer this peer's business.
    if (this.transport) this.transport.onclose = undefined;
    this.transport = undefined;
    this.stopHeartbeat();
    for (const o of this.outgoing?.take((o) => !o.reliable) ?? []) {
      o.call.fail(new AgentSocketError('CONNECTION_LOST', `connection lost during at-most-once call to "${o.tool}"`));
    }
    this.incoming?.interruptAll(new ProtocolError(ErrorCode.INTERRUPTED, 'connection lost'), true);
  }

  /** Drops the current transport without ending the session (used when a resume replaces it). */
  replaceTransport(): Transport | undefined {
    const old = this.transport;
    if (old) {
      old.onframe = undefined;
      old.onclose = undefined;
      this.detach();
    }
    return old;
  }

  invoke<T = unknown, C = unknown>(tool: string, args: unknown, options: InvokeOptions = {}): Call<T, C> {
    let id: string;
    try {
      id = options.messageId === undefined ? this.newId() : checkMessageId(options.messageId);
    } catch (error) {
      const refused = new Call<T, C>(tool, '', options.delivery ?? 'at-least-once');
      refused.fail(error);
      return refused;
    }
    const call = new Call<T, C>(tool, id, options.delivery ?? 'at-least-once');
    if (this.closed) {
      call.fail(new AgentSocketError('SESSION_CLOSED', 'session is closed'));
      return call;
    }
    if (this.pendingCalls >= this.peerMaxInflight) {
      call.fail(
        new AgentSocketError('TOO_MANY_REQUESTS', `peer allows ${this.peerMaxInflight} requests in flight`),
      );
      return call;
    }
    const reliable = call.delivery !== 'at-most-once';
    if (!reliable && !this.transport) {
      call.fail(new AgentSocketError('CONNECTION_LOST', 'not connected (at-most-once calls are not queued)'));
      return call;
    }
    this.start(call, tool, args, options, reliable);
    return call;
  }

  /** Sends again, on this (new) session, calls that another session could not finish. */
  adopt(calls: Array<{ call: Call; tool: string; args: unknown; options: InvokeOptions }>): void {
    for (const c of calls) this.start(c.call, c.tool, c.args, c.options, true);
  }

  /** Reliable calls still waiting for their terminal frame (for adopt() by a new session). */
  takeUnfinished(): Array<{ call: Call; tool: string; args: unknown; options: InvokeOptions }> {
    const out = (this.outgoing?.take(() => true) ?? []).filter((o) => o.reliable);
    return out.map(({ call, tool, args, options }) => ({ call, tool, args, options }));
  }

  private start(call: Call, tool: string, args: unknown, options: InvokeOptions, reliable: boolean): void {
    this.outgoing ??= new CallTable();
    this.rids ??= new RequestIdAllocator(this.side);
    this.ridInUse ??= (id) => this.outgoing?.has(id) === true || this.orphans?.has(id) === true;
    const rid = this.rids.allocate(this.ridInUse);
    call.requestId = rid;
    const o = new Outgoing(call, reliable, tool, args, options);
    this.outgoing.add(rid, o, options.timeoutMs);
    const payload = invokePayload(call.messageId, tool, args, call.delivery, options.traceparent, options.to, options.metrics);
    if (!reliable || this.chan.writable) this.sendInvoke(rid, o, payload);
    else {
      void this.chan.whenWritable().then(() =>
        this.closed ? this.outgoing?.settle(rid, o, new AgentSocketError('SESSION_CLOSED', 'session closed')) : this.sendInvoke(rid, o, payload),
      );
    }
  }

  private sendInvoke(rid: number, o: Outgoing, payload: Payload): void {
    try {
      this.sendFrame(FrameType.INVOKE, 0, rid, payload, o.reliable);
    } catch (error) {
      this.outgoing?.settle(rid, o, error);
      return;
    }
    const signal = o.options.signal;
    if (!signal) return;
    this.outgoing?.forwardAbort(rid, o, signal, {
      interrupt: (reason) => this.trySend(FrameType.INTERRUPT, rid, interruptPayload(reason), o.reliable),
      graceMs: INTERRUPT_GRACE_MS,
      unanswered: 'interrupted; no terminal frame from peer',
    });
  }

  /** Announces tools to the peer (TOOL_DEF, reliable). */
  announceTools(added: ToolInfo[], removed: string[]): void {
    if (this.closed) return;
    this.trySend(FrameType.TOOL_DEF, 0, toolDefPayload(this.newId(), added, removed), true);
  }

  /** Delivers a team message to the peer (MESSAGE; reliable unless at-most-once). */
  deliver(message: TeamMessage): void {
    if (this.closed) return;
    this.trySend(FrameType.MESSAGE, 0, messagePayload(message), message.delivery !== 'at-most-once');
  }

  /** Sends GOAWAY and closes the transport; the session stays resumable for its TTL. */
  goAway(code: number, reason: string, retryMs?: number): void {
    this.trySend(FrameType.GOAWAY, 0, goAwayPayload(code, reason, retryMs), false);
  }

  /** Ends the session: every open request settles, handlers are aborted (silently with `handOff`, for another process to run again). */
  close(error: Error = new AgentSocketError('SESSION_CLOSED', 'session closed'), handOff = false): void {
    if (this.closed) return;
    this.closed = true;
    this.handingOff = handOff;
    this.stopHeartbeat();
    this.acks?.stop();
    this.outgoing?.failAll(error);
    this.incoming?.interruptAll(new ProtocolError(ErrorCode.INTERRUPTED, error.message));
    this.chan.releaseWaiters();
    this.held = undefined;
    this.registry.dispose();
    const t = this.transport;
    this.transport = undefined;
    if (t) {
      t.onclose = undefined;
      void t.close(CloseCode.NORMAL, error.message);
    }
  }

  // ---- sending ----

  /**
   * Encodes and sends one frame. Throws FRAME_TOO_LARGE; a reliable frame is kept for replay.
   * `ends`: the frame ends request `rid` (COMPLETE/ERROR); with a journal it goes out only once
   * the journal holds it, together with the request's end (see holdUntilJournaled).
   */
  private sendFrame(type: number, flags: number, rid: number, payload: Payload, reliable: boolean, ends = false): void {
    let sq = 0;
    if (reliable) {
      sq = this.chan.take();
      payload['sq'] = sq;
      flags |= Flag.RELIABLE;
    }
    const carried = this.piggybackOut && this.transport !== undefined && this.acks ? this.acks.carry() : 0;
    if (carried > 0) payload['ack'] = this.chan.lastReceived;
    // Encoded once, with the header written in front of the payload (no copy).
    let frame: Uint8Array;
    try {
      frame = encodeWithHeaderRoom(this.codec, this.lean ? leanPayload(type, payload, this.codec.name === 'msgpack') : payload);
    } catch (error) {
      // A value the codec cannot take (a BigInt beyond 64 bits, a cycle, a symbol): nothing was sent.
      if (reliable) this.chan.untake(sq);
      this.acks?.uncarry(carried);
      throw new AgentSocketError('ENCODE_FAILED', `${frameTypeName(type)} payload cannot be encoded as ${this.codec.name}: ${errorMessage(error)}`, { cause: error });
    }
    const length = frame.byteLength - HEADER_SIZE;
    const limit = Math.min(this.peerMaxFrame, (this.transport?.maxFrameBytes ?? Number.POSITIVE_INFINITY) - HEADER_SIZE);
    if (length > limit) {
      if (reliable) this.chan.untake(sq); // the refused frame must not leave a gap in the sequence
      this.acks?.uncarry(carried); // nor take the ack it carried with it
      throw new AgentSocketError(
        'FRAME_TOO_LARGE',
        `${frameTypeName(type)} payload of ${length} bytes exceeds the limit of ${limit}`,
      );
    }
    writeHeader(frame, type, flags, rid, length);
    if (reliable) {
      this.chan.record(sq, frame);
      const journal = this.journal;
      if (journal && ends) {
        // One journal write: a node that dies leaves the end and its answer stored, or neither.
        journal.invokeEnded(rid, sq, frame);
        this.holdUntilJournaled(journal, frame);
        return;
      }
      journal?.sent(sq, frame);
      if (this.held) {
        // Behind a terminal frame not yet journaled: the peer must receive sq in order.
        this.held.push({ frame, gate: 0 });
        return;
      }
    }
    const t = this.transport;
    if (!t) {
      if (!reliable) throw new AgentSocketError('CONNECTION_LOST', 'not connected');
      return;
    }
    try {
      t.send(frame);
    } catch (error) {
      // A reliable frame is already kept for replay; an unreliable one is lost with the connection.
      if (!reliable) throw error;
    }
  }

  /**
   * sendFrame for frames whose failure has nowhere to go (terminal frames, control frames). A
   * COMPLETE too large or not encodable becomes the request's ERROR (413 or 500), and an ERROR
   * whose `data` cannot be encoded goes without it, so a request still ends with one terminal frame.
   */
  /** IncomingHost: sendFrame for frames whose failure has nowhere to go. */
  trySend(type: number, rid: number, payload: Payload, reliable: boolean, ends = false): boolean {
    try {
      this.sendFrame(type, 0, rid, payload, reliable, ends);
      return true;
    } catch (error) {
      if (!(error instanceof AgentSocketError) || rid === 0) return false;
      if (type === FrameType.COMPLETE || type === FrameType.STREAM) {
        if (error.code === 'FRAME_TOO_LARGE') this.trySend(FrameType.ERROR, rid, errorPayload(ErrorCode.FRAME_TOO_LARGE, error.message), reliable, ends);
        if (error.code === 'ENCODE_FAILED') this.trySend(FrameType.ERROR, rid, errorPayload(ErrorCode.HANDLER_ERROR, error.message), reliable, ends);
      } else if (type === FrameType.ERROR && (error.code === 'ENCODE_FAILED' || error.code === 'FRAME_TOO_LARGE') && 'data' in payload) {
        const { data: _dropped, ...rest } = payload;
        const message = typeof rest['message'] === 'string' ? rest['message'] : '';
        this.trySend(FrameType.ERROR, rid, { ...rest, message: `${message} (data dropped: ${error.message})` }, reliable, ends);
      }
      return false;
    }
  }

  /**
   * Keeps a terminal frame back until the journal has stored it (so a request that finished is
   * never run again on resume), and every reliable frame after it too, so sq stays in order.
   */
  private holdUntilJournaled(journal: SessionJournal, frame: Uint8Array): void {
    const gate = ++this.gates;
    this.held ??= [];
    this.held.push({ frame, gate });
    journal.flush().then(
      () => {
        if (gate > this.gatesOpen) this.gatesOpen = gate;
        this.release();
      },
      (error: unknown) => this.journalFailed(error),
    );
  }

  /** Sends the held frames whose journal writes have landed, oldest first. */
  private release(): void {
    const held = this.held;
    if (!held) return;
    let n = 0;
    while (n < held.length && (held[n]?.gate ?? 0) <= this.gatesOpen) n++;
    const out = held.splice(0, n);
    if (held.length === 0) this.held = undefined;
    // Without a transport they stay in the replay window and go at the next attach.
    const t = this.transport;
    if (!t) return;
    try {
      for (const h of out) t.send(h.frame);
    } catch {
      // Kept for replay; the transport's onclose handles the rest.
    }
  }

  private sendRaw(type: number, rid: number, payload: Payload): void {
    const t = this.transport;
    if (!t) return;
    try {
      t.send(payloadFrame(this.codec, type, 0, rid, payload));
    } catch {
      // the transport is closing; onclose handles the rest
    }
  }

  /** AckSender: an ACK for everything received so far (with a journal, once it holds it). */
  sendAck(): void {
    const ack = this.chan.lastReceived;
    const journal = this.journal;
    if (!journal) {
      this.sendRaw(FrameType.ACK, 0, ackPayload(ack));
      return;
    }
    // Acknowledge only what is journaled, so a frame only a dead node saw is sent again.
    journal.flush().then(
      () => this.sendRaw(FrameType.ACK, 0, ackPayload(ack)),
      (error: unknown) => this.journalFailed(error),
    );
  }

  /** IncomingHost: a connection-level error, for logging. */
  reportError(error: Error): void {
    this.host.error(this, error);
  }

  /** The journal refused a write. */
  private journalFailed(error: unknown): void {
    this.host.journalFailed(this, error instanceof Error ? error : new Error(String(error)));
  }

  /** IncomingHost: routes an INVOKE addressed to another agent; undefined where routing is not offered. */
  router(): Route | undefined {
    const host = this.host;
    const route = host.route;
    if (!route) return undefined;
    return (to, tool, args, options) => route.call(host, this, to, tool, args, options);
  }

  /** IncomingHost: prefix of this session's exactly-once keys. */
  dedupScope(): string {
    return this.host.dedupScope?.(this) ?? this.scope;
  }

  /** IncomingHost: sends a terminal frame; with a journal, once the request's end and the frame are journaled. */
  terminal(rid: number, type: number, payload: Payload, reliable: boolean): void {
    // The journaled request is run again where the session resumes; it must not end here.
    if (this.handingOff) return;
    this.trySend(type, rid, payload, reliable, true);
  }

  /**
   * Runs again the requests a previous owner of this session had started and not ended
   * (resumption on another process). The caller skips chunks it already has.
   */
  resumeIncoming(frames: Array<{ rid: number; frame: Uint8Array }>): void {
    for (const { rid, frame } of frames) {
      try {
        const f = decodeFrame(frame);
        // Journaled as it arrived, in whichever form that connection had agreed to.
        const m = parseMessage(f.type, this.codec.decode(f.payload), true);
        if (m.type === FrameType.INVOKE) this.invoked(rid, m, (f.flags & Flag.RELIABLE) !== 0, frame);
      } catch (error) {
        this.reportError(error instanceof Error ? error : new Error(String(error)));
      }
    }
  }

  private startHeartbeat(): void {
    this.stopHeartbeat();
    this.heartbeats.add(this, this.heartbeatMs); // a period of 0 never beats
  }

  private stopHeartbeat(): void {
    this.heartbeats.delete(this, this.heartbeatMs);
  }

  /** Called by the heartbeat clock every heartbeatMs while attached: liveness check, and the client's PING. */
  heartbeat(now: number): void {
    const t = this.transport;
    if (!t) return;
    const hb = this.heartbeatMs;
    if (now - this.lastHeard > hb * 2.5) {
      void t.close(CloseCode.HEARTBEAT_TIMEOUT, `nothing heard for ${hb * 2.5} ms`);
      return;
    }
    const slow = this.slowConsumer;
    if (slow) {
      // A reader that stopped reading is cut however lively it is otherwise (it may keep PINGing);
      // one that still acknowledges what it receives is only slow.
      const backlog = t.bufferedAmount;
      const acked = this.chan.lastAcked;
      const progress = acked !== this.ackedAtBeat;
      this.ackedAtBeat = acked;
      if (backlog <= slow.bytes || progress) this.backlogSince = 0;
      else if (this.backlogSince === 0) this.backlogSince = now;
      else if (now - this.backlogSince >= slow.ms) {
        void t.close(CloseCode.SLOW_CONSUMER, `peer is not reading: ${backlog} bytes unsent for ${now - this.backlogSince} ms`);
        return;
      }
    }
    // The client PINGs; the server only checks that something was heard.
    if (this.side === 'client') this.sendRaw(FrameType.PING, 0, pingPayload(now));
  }

  // ---- receiving ----

  private fatal(code: number, message: string, closeCode: number): void {
    this.reportError(new ProtocolError(code, message));
    this.sendRaw(FrameType.ERROR, 0, errorPayload(code, message));
    void this.transport?.close(closeCode, message.slice(0, 120));
  }

  private onFrame(bytes: Uint8Array): void {
    this.lastHeard = Date.now();
    let frame: ReturnType<typeof decodeFrame>;
    try {
      frame = decodeFrame(bytes);
    } catch (error) {
      this.fatal(ErrorCode.BAD_FRAME, errorMessage(error), CloseCode.BAD_FRAME);
      return;
    }
    const { type, requestId: rid } = frame;
    if (frame.version !== PROTOCOL_VERSION) {
      this.fatal(ErrorCode.UNSUPPORTED_VERSION, `frame version ${frame.version}, session speaks ${PROTOCOL_VERSION}`, CloseCode.UNSUPPORTED_VERSION);
      return;
    }
    if (!isKnownFrameType(type) || type === FrameType.HELLO || type === FrameType.EXTENSION) {
      this.sendRaw(FrameType.ERROR, rid, errorPayload(ErrorCode.UNKNOWN_FRAME_TYPE, `frame type ${frameTypeName(type)} is not understood here`));
      return;
    }
    if (frame.payload.byteLength > this.maxFrame) {
      this.sendRaw(FrameType.ERROR, rid, errorPayload(ErrorCode.FRAME_TOO_LARGE, `payload of ${frame.payload.byteLength} bytes exceeds the limit of ${this.maxFrame}`));
      this.incoming?.interrupt(rid, new ProtocolError(ErrorCode.FRAME_TOO_LARGE, 'frame too large'));
      return;
    }
    let decoded: unknown;
    try {
      decoded = this.codec.decode(frame.payload);
    } catch (error) {
      this.fatal(ErrorCode.BAD_FRAME, `${frameTypeName(type)} payload is not valid ${this.codec.name}: ${errorMessage(error)}`, CloseCode.BAD_FRAME);
      return;
    }
    if (this.piggyback && type !== FrameType.ACK) {
      const ack = carriedAck(decoded);
      if (ack === 'bad') {
        this.fatal(ErrorCode.BAD_FRAME, `${frameTypeName(type)}.ack must be an unsigned integer`, CloseCode.BAD_FRAME);
        return;
      }
      if (ack !== undefined) this.acknowledged(ack);
    }
    if (frame.flags & Flag.RELIABLE) {
      const sq = readSq(decoded);
      if (sq === undefined) {
        this.fatal(ErrorCode.BAD_FRAME, `${frameTypeName(type)} is flagged RELIABLE but has no sq`, CloseCode.BAD_FRAME);
        return;
      }
      this.acks ??= new Acks(this, this.ackDelayMs);
      this.acks.received();
      if (!this.chan.receive(sq)) return; // a replayed frame already handled
      this.journal?.received(sq);
    }
    let message: Message;
    try {
      message = parseMessage(type, decoded, this.lean);
    } catch (error) {
      if (!(error instanceof WireShapeError)) throw error;
      if (type === FrameType.ERROR || rid === 0) {
        this.fatal(ErrorCode.BAD_FRAME, error.message, CloseCode.BAD_FRAME);
      } else {
        this.sendRaw(FrameType.ERROR, rid, errorPayload(ErrorCode.BAD_FRAME, error.message));
      }
      return;
    }
    this.dispatch(rid, message, (frame.flags & Flag.RELIABLE) !== 0, bytes);
  }

  /** The peer acknowledged every `sq` ≤ `ack` (an ACK frame, or `ack` carried by another frame). */
  private acknowledged(ack: number): void {
    this.chan.acknowledge(ack);
    this.journal?.acked(ack);
  }

  private dispatch(rid: number, m: Message, reliable: boolean, bytes: Uint8Array): void {
    switch (m.type) {
      case FrameType.INVOKE:
        this.invoked(rid, m, reliable, bytes);
        return;
      case FrameType.STREAM:
        this.outgoing?.chunk(rid, m.seq, m.data);
        return;
      case FrameType.COMPLETE:
        if (!this.outgoing?.complete(rid, m.result, m.metrics)) this.orphans?.delete(rid);
        return;
      case FrameType.ERROR: {
        if (rid === 0) {
          this.reportError(new ProtocolError(m.code, m.message, { data: m.data }));
          return;
        }
        if (!this.outgoing?.fail(rid, new ProtocolError(m.code, m.message, { data: m.data }))) this.orphans?.delete(rid);
        return;
      }
      case FrameType.INTERRUPT:
        this.incoming?.interrupt(rid, new ProtocolError(ErrorCode.INTERRUPTED, m.reason ?? 'interrupted by caller'));
        return;
      case FrameType.TOOL_DEF:
        if (!this.updateRemoteTools(m.tools, m.removed, this.maxPeerToolBytes)) {
          this.sendRaw(FrameType.ERROR, rid, errorPayload(ErrorCode.FRAME_TOO_LARGE, `TOOL_DEF not applied: the tool list would exceed ${this.maxPeerToolBytes} bytes`));
          return;
        }
        this.host.toolsChanged?.(this, m.tools, m.removed);
        return;
      case FrameType.ACK:
        this.acknowledged(m.ack);
        return;
      case FrameType.PING:
        this.sendRaw(FrameType.PONG, 0, pingPayload(m.t));
        return;
      case FrameType.PONG:
        return;
      case FrameType.GOAWAY:
        this.host.goAway?.(this, m.code, m.reason, m.retryMs);
        return;
      case FrameType.MESSAGE: {
        const message: TeamMessage = { id: m.id, event: m.event, data: m.data, from: m.from, delivery: reliable ? 'at-least-once' : 'at-most-once' };
        if (m.room !== undefined) message.room = m.room;
        this.host.message?.(this, message);
        return;
      }
    }
  }

  /** The peer's INVOKE (or one run again after a takeover): the incoming calls take it from here. */
  private invoked(rid: number, m: Extract<Message, { type: typeof FrameType.INVOKE }>, reliable: boolean, bytes: Uint8Array): void {
    this.incoming ??= new IncomingCalls(this);
    this.incoming.invoke(rid, m, reliable, bytes);
  }

  /** IncomingHost: sends one STREAM chunk of a request running here (InvokeOutput.chunk). */
  async sendChunk(incoming: IncomingCall, seq: number, data: unknown): Promise<void> {
    const { rid, reliable } = incoming;
    if (reliable && !this.chan.writable) await this.chan.whenWritable();
    if (this.closed) throw new ProtocolError(ErrorCode.INTERRUPTED, 'session closed');
    try {
      this.sendFrame(FrameType.STREAM, 0, rid, streamPayload(seq, data), reliable);
    } catch (error) {
      // The handler's catch turns this into the request's one terminal ERROR.
      if (error instanceof AgentSocketError && error.code === 'FRAME_TOO_LARGE') {
        throw new ProtocolError(ErrorCode.FRAME_TOO_LARGE, error.message);
      }
      if (error instanceof AgentSocketError && error.code === 'ENCODE_FAILED') {
        throw new ProtocolError(ErrorCode.HANDLER_ERROR, error.message);
      }
      incoming.abort.abort(new ProtocolError(ErrorCode.INTERRUPTED, 'connection lost'));
    }
  }

  /** ContextHost (ToolContext.once): `effect` once per message id and key, recorded in the dedup store. */
  once<T>(messageId: string, key: string, effect: () => T | Promise<T>, signal: AbortSignal): Promise<T> {
    return idempotent(this.dedup, `${this.dedupScope()}:${messageId}#${key}`, effect, { ttlMs: this.dedupTtlMs, signal });
  }

  /** Announces a tool of this side to the peer (ToolContext.defineTool). */
  defineTool(name: string, definition: ToolDefinition): void {
    this.registry.add(name, definition);
  }

  /** Withdraws a tool this session defined (TOOL_DEF with `removed`). False if it had none of that name. */
  removeTool(name: string): boolean {
    return this.registry.remove(name);
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

