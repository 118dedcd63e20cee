import type { Call, InvokeOptions } from './call.js';
import { claimWaiting, type DedupStore } from './dedup.js';
import type { ProtocolError } from './errors.js';
import * as ErrorCode from './error-code.js';
import { type InvokeOutput, type Outcome, parseOutcome, replayOutcome, runHandler } from './incoming.js';
import { type ContextHost, InvokeContext } from './invoke-context.js';
import { LazyAbortController } from './lazy-abort.js';
import type { CallMetrics, Message } from './messages.js';
import type { FrameType } from './opcodes.js';
import { ownsRequestId } from './request-id-space.js';
import { idempotent } from './once.js';
import type { ValidationResult } from './schema.js';
import type { SessionJournal } from './session-store.js';
import type { ToolDefinition, ToolHandler } from './tool.js';
import type { RegisteredTool, ToolRegistry } from './tool-registry.js';
import { toolNotFoundMessage } from './tool-not-found.js';
import type { Principal } from './transport.js';

type Invoke = Extract<Message, { type: typeof FrameType.INVOKE }>;
type Runnable = Pick<RegisteredTool, 'schema' | 'handler'>;

/** Routes an INVOKE addressed to another agent (`to`). */
export type Route = (to: string, tool: string, args: unknown, options: InvokeOptions) => Call;

/** What the incoming-call side needs from its session. */
export interface IncomingHost {
  readonly side: 'client' | 'server';
  readonly sessionId: string;
  readonly principal: Principal | undefined;
  /** Tools this side serves. */
  readonly registry: ToolRegistry | undefined;
  /** Adds a tool of this session's own to `registry` (a server's session makes its own layer over the shared one first); throws INVALID_OPTIONS where it serves none. */
  defineTool(name: string, definition: ToolDefinition): void;
  /** Requests the peer may have running here at once. */
  readonly maxInflight: number;
  readonly journal: SessionJournal | undefined;
  /** The store of exactly-once outcomes (a client's default is made on first use). */
  dedupStore(): DedupStore | Promise<DedupStore>;
  /** How long exactly-once outcomes are kept, ms. */
  readonly dedupTtlMs: number;
  /** Prefix of this session's exactly-once keys. */
  dedupScope(): string;
  /** Routes calls to other agents; undefined where routing is not offered. */
  router(): Route | undefined;
  /** Refuses an INVOKE with ERROR (the request never started: nothing to journal). */
  refuse(rid: number, reliable: boolean, code: number, message: string): void;
  /** Sends one STREAM chunk of `call` (waits for room in the send window first). */
  sendChunk(call: IncomingCall, seq: number, data: unknown): Promise<void>;
  /** Ends request `rid` with COMPLETE, `metrics` left out when undefined (with a journal, once the request's end and the frame are journaled). */
  sendComplete(rid: number, reliable: boolean, result: unknown, metrics: CallMetrics | undefined): void;
  /** Ends request `rid` with ERROR (with a journal, once journaled). */
  sendError(rid: number, reliable: boolean, code: number, message: string, data?: unknown): void;
  /** A store (dedup claim, journal) failed: for logging. */
  reportError(error: Error): void;
  /** Invokes a tool the peer serves (ToolContext.invokePeer). */
  invoke<T>(tool: string, args: unknown, options: InvokeOptions): Call<T>;
}

/** A request of the peer's running here; it is also where its handler's output goes. */
export class IncomingCall implements InvokeOutput {
  /** A terminal frame has been sent (or handed to the journal). */
  ended = false;

  constructor(
    private readonly host: IncomingHost,
    readonly rid: number,
    readonly reliable: boolean,
    readonly abort: LazyAbortController,
    /** The caller wants the COMPLETE's metrics (always, unless a lean INVOKE left them out). */
    readonly metrics = true,
  ) {}

  chunk(seq: number, data: unknown): Promise<void> {
    return this.host.sendChunk(this, seq, data);
  }

  complete(result: unknown, metrics: CallMetrics): void {
    this.ended = true;
    this.host.sendComplete(this.rid, this.reliable, result, this.metrics ? metrics : undefined);
  }

  error(code: number, message: string, data?: unknown): void {
    this.ended = true;
    this.host.sendError(this.rid, this.reliable, code, message, data);
  }
}

/** Routed calls are validated by the agent that serves the tool. */
const PASS_THROUGH = { jsonSchema: {}, validate: (value: unknown) => ({ ok: true as const, value }) };

/**
 * The peer's requests running here: each INVOKE is checked (request id, in-flight bound, delivery
 * flag), found in the registry or routed to another agent, validated, run (exactly-once ones
 * through the dedup store, a repeat replaying the recorded outcome) and always ended with one
 * terminal frame. Made by a session's first INVOKE: an idle session has none.
 */
export class IncomingCalls implements ContextHost {
  private readonly running = new Map<number, IncomingCall>();

  constructor(private readonly host: IncomingHost) {}

  /** ContextHost (ToolContext.defineTool): announces a tool of this side to the peer. */
  defineTool(name: string, definition: ToolDefinition): void {
    this.host.defineTool(name, definition);
  }

  /** ContextHost (ToolContext.invokePeer). */
  invokePeer<T>(tool: string, args: unknown, options: InvokeOptions): Call<T> {
    return this.host.invoke<T>(tool, args, options);
  }

  /** ContextHost (ToolContext.once): `effect` once per message id and key, recorded in the dedup store. */
  once<T>(messageId: string, key: string, effect: () => T | Promise<T>, signal: AbortSignal): Promise<T> {
    const host = this.host;
    const id = `${host.dedupScope()}:${messageId}#${key}`;
    return Promise.resolve(host.dedupStore()).then((store) => idempotent(store, id, effect, { ttlMs: host.dedupTtlMs, signal }));
  }

  get size(): number {
    return this.running.size;
  }

  /** Request ids of the calls running here. */
  ids(): number[] {
    return [...this.running.keys()];
  }

  /** Interrupts request `rid` (INTERRUPT, or a frame of it too large to take). */
  interrupt(rid: number, reason: ProtocolError): void {
    this.running.get(rid)?.abort.abort(reason);
  }

  /** Interrupts every call, or only the unreliable ones (the connection is gone; reliable ones wait for a resume). */
  interruptAll(reason: ProtocolError, unreliableOnly = false): void {
    for (const call of this.running.values()) if (!unreliableOnly || !call.reliable) call.abort.abort(reason);
  }

  /** An INVOKE arrived (or is run again where a session was taken over). */
  invoke(rid: number, m: Invoke, reliable: boolean, bytes: Uint8Array): void {
    const host = this.host;
    if (ownsRequestId(host.side, rid) || rid === 0) {
      this.refuse(rid, reliable, ErrorCode.BAD_FRAME, `request id ${rid} is not in the caller's half of the id space`);
      return;
    }
    if (this.running.has(rid)) {
      this.refuse(rid, reliable, ErrorCode.BAD_FRAME, `request id ${rid} is already in use`);
      return;
    }
    if (this.running.size >= host.maxInflight) {
      this.refuse(rid, reliable, ErrorCode.TOO_MANY_REQUESTS, `at most ${host.maxInflight} requests may be in flight`);
      return;
    }
    if ((m.delivery === 'at-most-once') === reliable) {
      this.refuse(rid, reliable, ErrorCode.BAD_FRAME, 'INVOKE must be flagged RELIABLE exactly when its delivery is at-least-once or exactly-once');
      return;
    }
    const entry = m.to === undefined ? host.registry?.get(m.tool) : this.routed(m.to, m.tool);
    if (!entry) {
      if (m.to !== undefined) this.refuse(rid, reliable, ErrorCode.AGENT_NOT_FOUND, 'this peer does not route calls to other agents');
      else this.refuse(rid, reliable, ErrorCode.TOOL_NOT_FOUND, toolNotFoundMessage(m.tool, (host.registry?.list() ?? []).map((t) => t.name)));
      return;
    }
    const call = new IncomingCall(host, rid, reliable, new LazyAbortController(), m.metrics);
    this.running.set(rid, call);
    if (reliable) host.journal?.invokeStarted(rid, bytes);
    this.execute(call, m, entry);
  }

  private refuse(rid: number, reliable: boolean, code: number, message: string): void {
    this.host.refuse(rid, reliable, code, message);
  }

  /** A stand-in tool that forwards an INVOKE to another agent and streams its answer back. */
  private routed(to: string, tool: string): Runnable | undefined {
    const route = this.host.router();
    if (!route) return undefined;
    const handler: ToolHandler<unknown> = async function* (args, ctx) {
      const options: InvokeOptions = { signal: ctx.signal, delivery: ctx.delivery === 'exactly-once' ? 'at-least-once' : ctx.delivery };
      if (ctx.traceparent !== undefined) options.traceparent = ctx.traceparent; // the trace continues at the agent that serves it
      const call = route(to, tool, args, options);
      for await (const chunk of call) yield chunk;
      return (await call.result).value;
    };
    return { schema: PASS_THROUGH, handler };
  }

  /**
   * Validates, runs the handler (or replays a recorded outcome) and always ends the request. A
   * call whose schema check and handler both answer synchronously is done before this returns,
   * without a promise; anything asynchronous continues in executeAsync.
   */
  private execute(out: IncomingCall, m: Invoke, entry: Runnable): void {
    let pending: Promise<unknown> | undefined;
    try {
      const checked = entry.schema.validate(m.args ?? {});
      if (checked instanceof Promise || m.delivery === 'exactly-once') {
        pending = this.executeAsync(out, m, entry, checked);
      } else if (!checked.ok) {
        out.error(ErrorCode.INVALID_ARGUMENTS, `invalid arguments for "${m.tool}": ${checked.message}`);
      } else {
        const ran = runHandler(entry.handler, checked.value, this.context(out, m), m.delivery, out, out.abort);
        if (ran instanceof Promise) pending = ran;
      }
    } catch (error) {
      this.executeFailed(out, error);
    }
    if (!pending) {
      this.running.delete(out.rid);
      return;
    }
    pending.then(
      () => this.running.delete(out.rid),
      (error: unknown) => {
        this.executeFailed(out, error);
        this.running.delete(out.rid);
      },
    );
  }

  /** A store failed (dedup claim, journal): say so, and end the request if nothing else did. */
  private executeFailed(out: IncomingCall, error: unknown): void {
    this.host.reportError(error instanceof Error ? error : new Error(String(error)));
    if (!out.ended) out.error(ErrorCode.UNAVAILABLE, `request failed: ${error instanceof Error ? error.message : String(error)}`);
  }

  private async executeAsync(out: IncomingCall, m: Invoke, entry: Runnable, checked: ValidationResult | Promise<ValidationResult>): Promise<void> {
    const { abort } = out;
    const valid = await checked;
    if (!valid.ok) {
      out.error(ErrorCode.INVALID_ARGUMENTS, `invalid arguments for "${m.tool}": ${valid.message}`);
      return;
    }
    const ctx = this.context(out, m);
    if (m.delivery !== 'exactly-once') {
      await runHandler(entry.handler, valid.value, ctx, m.delivery, out, abort);
      return;
    }
    const ttl = this.host.dedupTtlMs;
    const key = `${this.host.dedupScope()}:${m.id}`;
    const dedup = await this.host.dedupStore();
    const recorded = await awaitClaim(dedup, key, ttl, abort.signal);
    if (recorded === 'run') {
      const outcome = await runHandler(entry.handler, valid.value, ctx, m.delivery, out, abort);
      if (outcome) await dedup.complete(key, outcome, ttl);
      else await dedup.release(key);
    } else if (recorded) {
      await replayOutcome(recorded, out);
    } else {
      out.error(ErrorCode.UNAVAILABLE, `message ${m.id} is still running elsewhere; retry later`);
    }
  }

  private context(out: IncomingCall, m: Invoke): InvokeContext {
    const host = this.host;
    return new InvokeContext(out.abort, this, m.tool, m.id, out.rid, host.sessionId, host.principal, m.traceparent, m.delivery);
  }
}

/** Claims an exactly-once key, waiting out another attempt that is still running. */
async function awaitClaim(dedup: DedupStore, key: string, ttl: number, signal: AbortSignal): Promise<'run' | Outcome | undefined> {
  const claim = await claimWaiting(dedup, key, ttl, signal);
  if (!claim) return undefined;
  return claim.status === 'new' ? 'run' : parseOutcome(claim.outcome);
}
