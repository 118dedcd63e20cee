import { approxSize } from './approx-size.js';
import type { Call, InvokeOptions } from './call.js';
import { AgentSocketError, ProtocolError } from './errors.js';
import * as ErrorCode from './error-code.js';
import type { TeamMessage } from './hub.js';
import type { IncomingCalls, } from './incoming-calls.js';
import { IncomingLoading } from './incoming-loading.js';
import type { Message, ToolInfo } from './messages.js';
import * as FrameType from './frame-type.js';
import { OutgoingCalls, type OutgoingHost, type Unfinished } from './outgoing-calls.js';
import { errorPayload, type Payload, toolDefPayload } from './payloads.js';
import type { PeerHost, PeerOptions } from './peer-options.js';
import { Session } from './session.js';
import * as State from './session-state.js';
import type { ToolRegistry } from './tool-registry.js';
import type { Principal, TransportCloseInfo } from './transport.js';

export type { PeerHost, PeerOptions, SlowConsumerBound } from './peer-options.js';

/** Peer's bit of Session.flags. */
const HANDING_OFF = State.SUBCLASS;

/**
 * The RPC endpoint of one end of a session, over its reliable-session layer (Session): dispatch of
 * what the peer sends, our calls to it (OutgoingCalls), its calls to us (IncomingCalls, made or
 * loaded on first use), the peer's tool list and ours, team messages and GOAWAY. Shared by clients
 * and servers; it survives its transport (detach() on a drop, attach() on resume).
 */
export class Peer extends Session implements OutgoingHost {
  /** Tools this side serves. */
  registry: ToolRegistry | undefined;
  /** OutgoingHost */
  readonly peerMaxInflight: number;
  // Created on first use: an idle session has no requests or peer tools.
  #outgoing: OutgoingCalls | undefined;
  #incoming: IncomingCalls | IncomingLoading | undefined;
  /** Tools the peer serves, in announcement order. */
  #peerTools: ToolInfo[] | undefined;

  constructor(options: PeerOptions) {
    super(options);
    this.registry = options.registry ?? this.settings.sharedTools;
    this.peerMaxInflight = options.peerMaxInflight;
    // Changes to the shared registry reach this peer from its owner (a place in its list of subscribers for every session would cost each one).
    if (options.registry) options.registry.onChange(this);
  }

  /** Closed so another process can resume the session: running requests end without a terminal frame (PeerIncoming). */
  get handingOff(): boolean {
    return (this.flags & HANDING_OFF) !== 0;
  }

  /** `registry` is the one its owner's peers share (PeerSettings.sharedTools); defineTool() layers one of this peer's own over it. */
  get sharedRegistry(): boolean {
    return this.registry !== undefined && this.registry === this.settings.sharedTools;
  }

  /** OutgoingHost */
  newId(): string {
    return this.settings.newId();
  }

  get #host(): PeerHost {
    return this.settings.host;
  }

  /** Who the peer is, as its server authenticated it: a ServerSession's; a client's peer has none. */
  get principal(): Principal | undefined {
    return undefined;
  }

  /** Tools the peer serves, as last announced. */
  get remoteTools(): ToolInfo[] {
    return this.#peerTools ? [...this.#peerTools] : [];
  }

  /** Starts serving `registry` (a client's first tools, added after its session began): announced at once. */
  serve(registry: ToolRegistry): void {
    if (this.registry || this.closed) return;
    this.registry = registry;
    registry.onChange(this);
    const tools = registry.list();
    if (tools.length > 0) this.announceTools(tools, []);
  }

  /** Ids of the peer's requests running here (sent in a resuming HELLO), those waiting for the incoming calls' module included. */
  runningIncoming(): number[] {
    return this.#incoming?.ids() ?? [];
  }

  setRemoteTools(tools: ToolInfo[]): void {
    this.#peerTools = undefined;
    this.#updateRemoteTools(tools, []);
  }

  /** Adds or replaces (in place) `added` and drops `removed`; false (and nothing changed) when the list would pass `limit` bytes. */
  #updateRemoteTools(added: ToolInfo[], removed: string[], limit = Number.POSITIVE_INFINITY): boolean {
    const byName = new Map<string, ToolInfo>();
    for (const t of this.#peerTools ?? []) byName.set(t.name, t);
    for (const name of removed) byName.delete(name);
    for (const t of added) byName.set(t.name, t);
    const tools = [...byName.values()];
    if (limit !== Number.POSITIVE_INFINITY && approxSize(tools, limit) > limit) return false;
    // Kept as an array: TOOL_DEF is rare, and a Map would cost every idle session its hash table.
    this.#peerTools = tools.length > 0 ? tools : undefined;
    return true;
  }

  /** The transport is gone; unreliable requests fail, reliable ones wait for a resume. */
  override detach(): void {
    super.detach();
    this.#outgoing?.connectionLost();
    this.#onIncoming((calls) => calls.interruptAll(new ProtocolError(ErrorCode.INTERRUPTED, 'connection lost'), true));
  }

  protected transportLost(info: TransportCloseInfo): void {
    this.#host.detached(this, info);
  }

  // ---- our calls to the peer ----

  /** Made by the first outgoing request. */
  protected get calls(): OutgoingCalls {
    this.#outgoing ??= new OutgoingCalls(this);
    return this.#outgoing;
  }

  invoke<T = unknown, C = unknown>(tool: string, args: unknown, options: InvokeOptions = {}): Call<T, C> {
    return this.calls.invoke<T, C>(tool, args, options);
  }

  /** Sends again, on this (new) session, calls that another session could not finish. */
  adopt(calls: Unfinished[]): void {
    if (calls.length > 0) this.calls.adopt(calls);
  }

  /** Reliable calls still waiting for their terminal frame (for adopt() by a new session). */
  takeUnfinished(): Unfinished[] {
    return this.#outgoing?.takeUnfinished() ?? [];
  }

  /** OutgoingHost: room in the send window now, or a promise of it. */
  whenWritable(): true | Promise<void> {
    return this.chan.writable || this.chan.whenWritable();
  }

  /** OutgoingHost: sends a frame, throwing what sendFrame throws. */
  send(type: number, rid: number, payload: Payload, reliable: boolean): void {
    this.sendFrame(type, 0, rid, payload, reliable);
  }

  /** Announces tools to the peer (TOOL_DEF, reliable). */
  announceTools(added: ToolInfo[], removed: string[]): void {
    if (this.closed) return;
    this.trySend(FrameType.TOOL_DEF, 0, toolDefPayload(this.newId(), added, removed), true);
  }

  /** Ends the session: every open request settles, handlers are aborted (silently with `handOff`, for another process to run again). */
  close(error: Error = new AgentSocketError('SESSION_CLOSED', 'session closed'), handOff = false): void {
    if (this.closed) return;
    this.closed = true;
    this.setFlag(HANDING_OFF, handOff);
    this.#outgoing?.failAll(error);
    this.#onIncoming((calls) => calls.interruptAll(new ProtocolError(ErrorCode.INTERRUPTED, error.message)));
    if (!this.sharedRegistry) this.registry?.dispose();
    this.closeSession(error.message);
  }

  // ---- what the peer sends ----

  protected dispatch(rid: number, m: Message, reliable: boolean, bytes: Uint8Array): void {
    switch (m.type) {
      case FrameType.INVOKE:
        this.invoked(rid, m, reliable, bytes);
        return;
      case FrameType.STREAM:
        this.#outgoing?.chunk(rid, m.seq, m.data);
        return;
      case FrameType.COMPLETE:
        this.#outgoing?.complete(rid, m.result, m.metrics);
        return;
      case FrameType.ERROR: {
        const error = new ProtocolError(m.code, m.message, { data: m.data });
        if (rid === 0) this.reportError(error);
        else this.#outgoing?.fail(rid, error);
        return;
      }
      case FrameType.INTERRUPT:
        this.#onIncoming((calls) => calls.interrupt(rid, new ProtocolError(ErrorCode.INTERRUPTED, m.reason ?? 'interrupted by caller')));
        return;
      case FrameType.TOOL_DEF:
        if (!this.#updateRemoteTools(m.tools, m.removed, this.settings.maxPeerToolBytes)) {
          this.sendRaw(FrameType.ERROR, rid, errorPayload(ErrorCode.FRAME_TOO_LARGE, `TOOL_DEF not applied: the tool list would exceed ${this.settings.maxPeerToolBytes} bytes`));
          return;
        }
        this.#host.toolsChanged?.(this, m.tools, m.removed);
        return;
      case FrameType.GOAWAY:
        this.#host.goAway?.(this, m.code, m.reason, m.retryMs);
        return;
      case FrameType.MESSAGE: {
        const message: TeamMessage = { id: m.id, event: m.event, data: m.data, from: m.from, delivery: reliable ? 'at-least-once' : 'at-most-once' };
        if (m.room !== undefined) message.room = m.room;
        this.#host.message?.(this, message);
        return;
      }
    }
  }

  protected tooLarge(rid: number): void {
    this.#onIncoming((calls) => calls.interrupt(rid, new ProtocolError(ErrorCode.FRAME_TOO_LARGE, 'frame too large')));
  }

  // ---- the peer's calls to us ----

  /** The peer's INVOKE (or one run again after a takeover): the incoming calls take it from here. */
  protected invoked(rid: number, m: Extract<Message, { type: typeof FrameType.INVOKE }>, reliable: boolean, bytes: Uint8Array): void {
    // A server makes them at once; a client loads them now, with what arrives meanwhile waiting in order.
    const incoming = this.#incoming ?? this.#host.incomingCalls?.(this) ?? new IncomingLoading(this, (calls) => (this.#incoming = calls));
    this.#incoming = incoming;
    if (incoming instanceof IncomingLoading) incoming.add((calls: IncomingCalls) => calls.invoke(rid, m, reliable, bytes), rid, reliable);
    else incoming.invoke(rid, m, reliable, bytes);
  }

  /** Runs `op` on the incoming calls if there are any (still loading: it waits its turn). */
  #onIncoming(op: (calls: IncomingCalls) => void): void {
    const incoming = this.#incoming;
    if (incoming instanceof IncomingLoading) incoming.add(op);
    else if (incoming) op(incoming);
  }

  /** Refuses an INVOKE with ERROR. */
  refuse(rid: number, reliable: boolean, code: number, message: string): void {
    this.trySend(FrameType.ERROR, rid, errorPayload(code, message), reliable);
  }

  /** A connection-level error, for logging. */
  reportError(error: Error): void {
    this.#host.error(this, error);
  }
}

