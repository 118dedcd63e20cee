import { Call, type InvokeOptions } from './call.js';
import { CallTable, PendingCall } from './call-table.js';
import { INTERRUPT_GRACE_MS } from './defaults.js';
import { AgentSocketError } from './errors.js';
import { checkMessageId, RequestIdAllocator } from './ids.js';
import type { CallMetrics } from './messages.js';
import * as FrameType from './frame-type.js';
import { interruptPayload, invokePayload, type Payload, type PayloadForm } from './payloads.js';

/** What the outgoing calls need from their session. */
export interface OutgoingHost {
  readonly side: 'client' | 'server';
  readonly isClosed: boolean;
  readonly attached: boolean;
  /** Requests this side may have running at the peer at once. */
  readonly peerMaxInflight: number;
  newId(): string;
  /** The form INVOKE payloads are built in for the connection now attached. */
  readonly payloadForm: PayloadForm;
  /** Room in the send window now, or a promise of it. */
  whenWritable(): true | Promise<void>;
  /** Sends a frame; throws FRAME_TOO_LARGE, ENCODE_FAILED, or CONNECTION_LOST for an unreliable one with no transport. */
  send(type: number, rid: number, payload: Payload, reliable: boolean): void;
  /** Sends a frame whose failure has nowhere to go. */
  trySend(type: number, rid: number, payload: Payload, reliable: boolean): unknown;
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

/** A reliable call another session could not finish, to be sent again on a new one. */
export interface Unfinished {
  call: Call;
  tool: string;
  args: unknown;
  options: InvokeOptions;
}

/**
 * This end's requests running at the peer: request ids from this side's half (and not those a
 * previous owner of the session left running), INVOKE and its deadline, INTERRUPT when the
 * caller's signal aborts, and each call settled once by its STREAM chunks and terminal frame.
 * Made by a session's first outgoing request: an idle session has none.
 */
export class OutgoingCalls {
  readonly #host: OutgoingHost;
  readonly #table = new CallTable<number, Outgoing>();
  readonly #rids: RequestIdAllocator;
  /** Request ids a previous owner of this session left running at the peer: not reused until they end. */
  #orphans: Set<number> | undefined;
  readonly #inUse = (id: number): boolean => this.#table.has(id) || this.#orphans?.has(id) === true;

  constructor(host: OutgoingHost) {
    this.#host = host;
    this.#rids = new RequestIdAllocator(host.side);
  }

  get size(): number {
    return this.#table.size;
  }

  invoke<T, C>(tool: string, args: unknown, options: InvokeOptions): Call<T, C> {
    const host = this.#host;
    let id: string;
    try {
      id = options.messageId === undefined ? host.newId() : checkMessageId(options.messageId);
    } catch (error) {
      const refused = new Call<T, C>(tool, '', options.delivery ?? 'at-least-once');
      refused.fail(error);
      return refused;
    }
    const call = new Call<T, C>(tool, id, options.delivery ?? 'at-least-once');
    if (host.isClosed) {
      call.fail(new AgentSocketError('SESSION_CLOSED', 'session is closed'));
      return call;
    }
    if (this.#table.size >= host.peerMaxInflight) {
      call.fail(new AgentSocketError('TOO_MANY_REQUESTS', `peer allows ${host.peerMaxInflight} requests in flight`));
      return call;
    }
    const reliable = call.delivery !== 'at-most-once';
    if (!reliable && !host.attached) {
      call.fail(new AgentSocketError('CONNECTION_LOST', 'not connected (at-most-once calls are not queued)'));
      return call;
    }
    this.#start(call, tool, args, options, reliable);
    return call;
  }

  /** Sends again, on this (new) session, calls that another session could not finish. */
  adopt(calls: Unfinished[]): void {
    for (const c of calls) this.#start(c.call, c.tool, c.args, c.options, true);
  }

  /** Reliable calls still waiting for their terminal frame (for adopt() by a new session). */
  takeUnfinished(): Unfinished[] {
    const out = this.#table.take(() => true).filter((o) => o.reliable);
    return out.map(({ call, tool, args, options }) => ({ call, tool, args, options }));
  }

  /**
   * Keeps request id `rid` out of use until its terminal frame arrives: a request the peer is
   * still running for a previous owner of this session (ServerSession.adoptOrphans). False, and
   * nothing kept, when `rid` is not this side's or is in use here.
   */
  reserve(rid: number): boolean {
    if (!RequestIdAllocator.owns(this.#host.side, rid) || this.#table.has(rid)) return false;
    this.#orphans ??= new Set();
    this.#orphans.add(rid);
    return true;
  }

  chunk(rid: number, seq: number, data: unknown): void {
    this.#table.chunk(rid, seq, data);
  }

  complete(rid: number, result: unknown, metrics: CallMetrics): void {
    if (!this.#table.complete(rid, result, metrics)) this.#orphans?.delete(rid);
  }

  fail(rid: number, error: Error): void {
    if (!this.#table.fail(rid, error)) this.#orphans?.delete(rid);
  }

  /** The transport is gone: at-most-once calls fail (reliable ones wait for a resume). */
  connectionLost(): void {
    for (const o of this.#table.take((o) => !o.reliable)) {
      o.call.fail(new AgentSocketError('CONNECTION_LOST', `connection lost during at-most-once call to "${o.tool}"`));
    }
  }

  failAll(error: Error): void {
    this.#table.failAll(error);
  }

  #start(call: Call, tool: string, args: unknown, options: InvokeOptions, reliable: boolean): void {
    const rid = this.#rids.allocate(this.#inUse);
    call.requestId = rid;
    const o = new Outgoing(call, reliable, tool, args, options);
    this.#table.add(rid, o, options.timeoutMs);
    const room = reliable ? this.#host.whenWritable() : true;
    if (room === true) this.#sendInvoke(rid, o);
    else {
      void room.then(() =>
        this.#host.isClosed ? this.#table.settle(rid, o, new AgentSocketError('SESSION_CLOSED', 'session closed')) : this.#sendInvoke(rid, o),
      );
    }
  }

  /** Sends the INVOKE, its payload built now in the form of the connection it goes out on. */
  #sendInvoke(rid: number, o: Outgoing): void {
    const { call, options } = o;
    try {
      const payload = invokePayload(call.messageId, o.tool, o.args, call.delivery, options.traceparent, options.to, options.metrics, this.#host.payloadForm);
      this.#host.send(FrameType.INVOKE, rid, payload, o.reliable);
    } catch (error) {
      this.#table.settle(rid, o, error);
      return;
    }
    const signal = o.options.signal;
    if (!signal) return;
    this.#table.forwardAbort(rid, o, signal, {
      interrupt: (reason) => this.#host.trySend(FrameType.INTERRUPT, rid, interruptPayload(reason), o.reliable),
      graceMs: INTERRUPT_GRACE_MS,
      unanswered: 'interrupted; no terminal frame from peer',
    });
  }
}
