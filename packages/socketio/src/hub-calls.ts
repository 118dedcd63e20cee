import { AgentSocketError, Call, ErrorCode, type HubMember, type InvokeOptions, ProtocolError, wireCodeOf } from '@agentsocket/core';
import { CallTable, PendingCall } from '@agentsocket/core/internal';
import type { HubRequest, Outcome } from './hub-protocol.js';

type InvokeRequest = Extract<HubRequest, { type: 'invoke' }>;

/** A call of this node's running on another node. */
class Outgoing extends PendingCall {
  /** The node running the call, once it has said so. */
  owner: string | undefined;
}

/**
 * Agent-to-agent calls whose caller and callee are on different nodes. The caller's node keeps
 * the Call; the callee's node runs it on the member and posts chunks and the outcome back.
 */
export class RemoteCalls {
  private readonly outgoing = new CallTable<string, Outgoing>();
  private readonly incoming = new Map<string, AbortController>();
  private readonly nodeId: string;
  /** Sends a request to every other node without waiting for answers. */
  private readonly post: (request: HubRequest) => void;

  constructor(nodeId: string, post: (request: HubRequest) => void) {
    this.nodeId = nodeId;
    this.post = post;
  }

  /**
   * Caller side: registered before the invoke request goes out, since chunks may beat the answer.
   * `id` names the call between the nodes; the Call's message id is `messageId` (the caller's own,
   * checked) or else `id`. With `timeoutMs` the call fails here with TIMEOUT, as a call on one
   * node does, and the node running it is sent an interrupt (it also interrupts the call itself
   * at that deadline, see serve()).
   */
  open<T>(id: string, tool: string, options: InvokeOptions, messageId: string = id): Call<T> {
    const call = new Call<T>(tool, messageId, options.delivery ?? 'at-least-once');
    const entry = new Outgoing(call);
    this.outgoing.add(id, entry);
    const { timeoutMs } = options;
    if (timeoutMs !== undefined) {
      entry.addTimer(
        setTimeout(() => {
          if (call.isSettled || this.outgoing.get(id) !== entry) return;
          this.post({ type: 'interrupt', from: this.nodeId, call: id, reason: timedOut(timeoutMs) });
          // Core's CallTable deadline, word for word.
          this.outgoing.settle(id, entry, new AgentSocketError('TIMEOUT', `no answer from "${tool}" within ${timeoutMs} ms`));
        }, timeoutMs),
      );
    }
    return call;
  }

  /** Caller side: node `owner` took the call; from now on an abort is forwarded to it. */
  accepted(id: string, owner: string, signal: AbortSignal | undefined): void {
    const o = this.outgoing.get(id);
    if (!o) return;
    o.owner = owner;
    // No deadline after the interrupt: the owner-liveness check fails calls whose node is gone.
    if (signal) this.outgoing.forwardAbort(id, o, signal, { interrupt: (reason) => this.post({ type: 'interrupt', from: this.nodeId, call: id, reason }) });
  }

  /** Caller side: are calls running on other nodes? */
  get waiting(): boolean {
    return this.outgoing.size > 0;
  }

  /** Caller side: fails the calls whose node is no longer in the cluster. */
  ownersGone(alive: ReadonlySet<string>): void {
    for (const [id, o] of [...this.outgoing.entriesOf()]) {
      if (o.owner !== undefined && !alive.has(o.owner)) {
        this.fail(id, new ProtocolError(ErrorCode.UNAVAILABLE, `node ${o.owner}, which ran this call, left the cluster`));
      }
    }
  }

  /** Caller side: settles a call locally (nobody took it, or the request failed). */
  fail(id: string, error: Error): void {
    this.outgoing.fail(id, error);
  }

  /**
   * Callee side: runs the call on the member and streams it back to the caller's node. With
   * `timeoutMs`, the call is interrupted here at that deadline (counted from the request's
   * arrival) with the same reason as the caller's interrupt, so the handler's ctx.signal aborts
   * whichever of the two comes first.
   */
  serve(request: InvokeRequest, member: HubMember): void {
    const key = `${request.from}:${request.call}`;
    const abort = new AbortController();
    this.incoming.set(key, abort);
    // What the caller's node was asked for, as the Redis hub forwards it: the caller's own message
    // id (exactly-once dedup at the callee keys on it), its trace and whether it wants metrics.
    const options: InvokeOptions = { signal: abort.signal, delivery: request.delivery };
    if (request.messageId !== undefined) options.messageId = request.messageId;
    if (request.traceparent !== undefined) options.traceparent = request.traceparent;
    if (request.metrics) options.metrics = true;
    const { timeoutMs } = request;
    // Not the member's own timeoutMs: that would settle the call here without telling the handler.
    const deadline = timeoutMs === undefined ? undefined : setTimeout(() => abort.abort(new ProtocolError(ErrorCode.INTERRUPTED, timedOut(timeoutMs))), timeoutMs);
    const call = member.invoke(request.tool, request.args, options);
    void this.pump(request, call).finally(() => {
      clearTimeout(deadline);
      this.incoming.delete(key);
    });
  }

  /** Handles chunk, end and interrupt requests; false for anything else. */
  handle(request: HubRequest): boolean {
    switch (request.type) {
      case 'chunk':
        if (request.node === this.nodeId) this.outgoing.chunk(request.call, request.seq, request.data);
        return true;
      case 'end': {
        if (request.node !== this.nodeId) return true;
        const { outcome } = request;
        if (outcome.ok) this.outgoing.complete(request.call, outcome.value, outcome.metrics);
        else this.outgoing.fail(request.call, rebuild(outcome));
        return true;
      }
      case 'interrupt':
        this.incoming.get(`${request.from}:${request.call}`)?.abort(new ProtocolError(ErrorCode.INTERRUPTED, request.reason));
        return true;
      default:
        return false;
    }
  }

  close(): void {
    this.outgoing.failAll(new ProtocolError(ErrorCode.UNAVAILABLE, 'hub closed'));
    for (const abort of this.incoming.values()) abort.abort(new ProtocolError(ErrorCode.UNAVAILABLE, 'hub closed'));
    this.incoming.clear();
  }

  private async pump(request: InvokeRequest, call: Call): Promise<void> {
    const reply = { node: request.from, call: request.call };
    let seq = 0;
    try {
      for await (const data of call) this.post({ type: 'chunk', ...reply, seq: seq++, data });
      const { value, metrics } = await call.result;
      this.post({ type: 'end', ...reply, outcome: { ok: true, value, metrics } });
    } catch (error) {
      this.post({ type: 'end', ...reply, outcome: failure(error) });
    }
  }
}

/** The interrupt reason when the caller's timeoutMs passed (docs/transports/socketio.md). */
export function timedOut(timeoutMs: number): string {
  return `the caller's timeoutMs (${timeoutMs} ms) passed`;
}

type Failure = Extract<Outcome, { ok: false }>;

/**
 * What the call failed with, as the Redis hub carries it: a ProtocolError keeps its code and data,
 * a local error (AgentSocketError) its string code, with the wire code core's LocalErrorWireCode
 * gives it; anything else is 500.
 */
function failure(error: unknown): Failure {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof ProtocolError) {
    return error.data === undefined ? { ok: false, code: error.code, message } : { ok: false, code: error.code, message, data: error.data };
  }
  if (error instanceof AgentSocketError) return { ok: false, code: wireCodeOf(error), message, local: error.code };
  return { ok: false, code: ErrorCode.HANDLER_ERROR, message };
}

/** The caller's side of failure(): the same family and code the call failed with on the callee's node. */
function rebuild(outcome: Failure): Error {
  if (outcome.local !== undefined) return new AgentSocketError(outcome.local, outcome.message);
  return new ProtocolError(outcome.code, outcome.message, outcome.data === undefined ? undefined : { data: outcome.data });
}
