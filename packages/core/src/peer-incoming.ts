import type { Call, InvokeOptions } from './call.js';
import type { DedupStore } from './dedup.js';
import * as ErrorCode from './error-code.js';
import { AgentSocketError, ProtocolError } from './errors.js';
import * as FrameType from './frame-type.js';
import type { IncomingCall, IncomingHost, Route } from './incoming-calls.js';
import type { CallMetrics } from './messages.js';
import { completePayload, streamPayload } from './output-payloads.js';
import type { Payload } from './payloads.js';
import type { Peer } from './peer.js';
import type { SessionJournal } from './session-store.js';
import { defineSessionTool } from './session-tools.js';
import type { ToolDefinition } from './tool.js';
import type { ToolRegistry } from './tool-registry.js';
import type { Principal } from './transport.js';

/**
 * A peer as its incoming calls see it (IncomingHost): chunks and terminal frames of the requests
 * running here, exactly-once outcomes, routing. Made with the incoming calls, so a client that
 * serves nothing never loads it (serving.ts); a server makes one for each session that gets calls.
 * Its STREAM and COMPLETE payloads come from output-payloads.ts; its ERROR payload is written out
 * (payloads.ts's errorPayload): importing payloads.ts here would make a bundler move it into a
 * chunk the client's entry shares with the serving chunk, which costs a page more than the line.
 */
export class PeerIncoming implements IncomingHost {
  readonly #peer: Peer;

  constructor(peer: Peer) {
    this.#peer = peer;
  }

  get side(): 'client' | 'server' {
    return this.#peer.side;
  }

  get sessionId(): string {
    return this.#peer.sessionId;
  }

  get principal(): Principal | undefined {
    return this.#peer.principal;
  }

  get registry(): ToolRegistry | undefined {
    return this.#peer.registry;
  }

  get maxInflight(): number {
    return this.#peer.settings.maxInflight;
  }

  get journal(): SessionJournal | undefined {
    return this.#peer.journal;
  }

  get dedupTtlMs(): number {
    return this.#peer.settings.dedupTtlMs;
  }

  defineTool(name: string, definition: ToolDefinition): void {
    defineSessionTool(this.#peer, name, definition);
  }

  /** The store of exactly-once outcomes. */
  dedupStore(): DedupStore | Promise<DedupStore> {
    const peer = this.#peer;
    return peer.settings.dedup ?? peer.settings.host.dedupStore?.(peer) ?? Promise.reject(new AgentSocketError('INVALID_OPTIONS', 'no dedup store for exactly-once calls'));
  }

  /** Prefix of this session's exactly-once keys. */
  dedupScope(): string {
    const peer = this.#peer;
    return peer.settings.host.dedupScope?.(peer) ?? peer.settings.dedupScope;
  }

  /** Routes an INVOKE addressed to another agent; undefined where routing is not offered. */
  router(): Route | undefined {
    const peer = this.#peer;
    const host = peer.settings.host;
    const route = host.route;
    if (!route) return undefined;
    return (to, tool, args, options) => route.call(host, peer, to, tool, args, options);
  }

  refuse(rid: number, reliable: boolean, code: number, message: string): void {
    this.#peer.refuse(rid, reliable, code, message);
  }

  /** Sends one STREAM chunk of a request running here (InvokeOutput.chunk). */
  async sendChunk(incoming: IncomingCall, seq: number, data: unknown): Promise<void> {
    const peer = this.#peer;
    const { rid, reliable } = incoming;
    if (reliable && !peer.chan.writable) await peer.chan.whenWritable();
    if (peer.isClosed) throw new ProtocolError(ErrorCode.INTERRUPTED, 'session closed');
    try {
      peer.send(FrameType.STREAM, rid, streamPayload(seq, data, peer.payloadForm), reliable);
    } catch (error) {
      // The handler's catch turns this into the request's one terminal ERROR.
      if (error instanceof AgentSocketError && error.code === 'FRAME_TOO_LARGE') throw new ProtocolError(ErrorCode.FRAME_TOO_LARGE, error.message);
      if (error instanceof AgentSocketError && error.code === 'ENCODE_FAILED') throw new ProtocolError(ErrorCode.HANDLER_ERROR, error.message);
      incoming.abort.abort(new ProtocolError(ErrorCode.INTERRUPTED, 'connection lost'));
    }
  }

  /** Ends a request with COMPLETE; one too large or not encodable ends it with ERROR 413 or 500 instead. */
  sendComplete(rid: number, reliable: boolean, result: unknown, metrics: CallMetrics | undefined): void {
    const failed = this.#terminal(rid, FrameType.COMPLETE, completePayload(result, metrics, this.#peer.payloadForm), reliable);
    if (!(failed instanceof AgentSocketError)) return;
    if (failed.code === 'FRAME_TOO_LARGE') this.sendError(rid, reliable, ErrorCode.FRAME_TOO_LARGE, failed.message);
    if (failed.code === 'ENCODE_FAILED') this.sendError(rid, reliable, ErrorCode.HANDLER_ERROR, failed.message);
  }

  /** Ends a request with ERROR; `data` that cannot be sent is dropped (the message says why), so the request still ends. */
  sendError(rid: number, reliable: boolean, code: number, message: string, data?: unknown): void {
    const failed = this.#terminal(rid, FrameType.ERROR, data === undefined ? { code, message } : { code, message, data }, reliable);
    if (data === undefined || !(failed instanceof AgentSocketError) || (failed.code !== 'ENCODE_FAILED' && failed.code !== 'FRAME_TOO_LARGE')) return;
    this.#terminal(rid, FrameType.ERROR, { code, message: `${message} (data dropped: ${failed.message})` }, reliable);
  }

  /** A terminal frame; with a journal, once the request's end and the frame are journaled. What sending threw, if anything. */
  #terminal(rid: number, type: number, payload: Payload, reliable: boolean): unknown {
    // The journaled request is run again where the session resumes; it must not end here.
    if (this.#peer.handingOff) return undefined;
    return this.#peer.trySend(type, rid, payload, reliable, true);
  }

  reportError(error: Error): void {
    this.#peer.reportError(error);
  }

  invoke<T>(tool: string, args: unknown, options: InvokeOptions): Call<T> {
    return this.#peer.invoke<T>(tool, args, options);
  }
}
