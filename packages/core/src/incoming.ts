import { approxSize } from './approx-size.js';
import { DEFAULT_MAX_RECORDED_CHUNK_BYTES } from './defaults.js';
import { ProtocolError } from './errors.js';
import { wireCodeOf } from './wire-code.js';
import * as ErrorCode from './error-code.js';
import type { AbortState } from './lazy-abort.js';
import type { CallMetrics, Delivery } from './messages.js';
import { isAsyncIterable } from './run-tool.js';
import type { ToolContext, ToolHandler } from './tool.js';
import { ReportedResult } from './tool-output.js';

/** What the incoming-invoke runner needs from its peer. */
export interface InvokeOutput {
  /** Sends a STREAM chunk; waits for room in the send window first. */
  chunk(seq: number, data: unknown): Promise<void>;
  complete(result: unknown, metrics: CallMetrics): void;
  error(code: number, message: string, data?: unknown): void;
}

/** The recorded outcome of an exactly-once invoke, replayed to a retry. */
export type Outcome =
  | { kind: 'complete'; chunks: unknown[] | null; result: unknown; metrics: CallMetrics }
  | { kind: 'error'; code: number; message: string; data?: unknown };

/** Chunks beyond this many are not kept in an exactly-once outcome (a retry then gets the result only). */
export const MAX_RECORDED_CHUNKS = 1000;
/** Nor chunks beyond this many bytes (estimated), all chunks of one outcome together. */
export const MAX_RECORDED_CHUNK_BYTES = DEFAULT_MAX_RECORDED_CHUNK_BYTES;

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  // What `await` treats as a thenable: an object or function with a callable `then`.
  return (typeof value === 'object' || typeof value === 'function') && value !== null && 'then' in value && typeof value.then === 'function';
}

/**
 * Runs one handler to its single terminal frame. Returns the outcome for the dedup store, or
 * undefined when the run was cut short by an interruption (an exactly-once call may then be
 * retried); a handler that returns although interrupted has run, and its outcome is returned.
 *
 * A handler that answers synchronously (returns a plain value or throws) is finished before this
 * returns, with no promise made; otherwise the rest runs asynchronously and a promise is returned.
 */
export function runHandler(
  handler: ToolHandler<never>,
  args: unknown,
  ctx: ToolContext,
  delivery: Delivery,
  out: InvokeOutput,
  /** The call's interruption state, read without making ctx.signal (see LazyAbortController). */
  signal: AbortState = ctx.signal,
): Outcome | undefined | Promise<Outcome | undefined> {
  const started = performance.now();
  let produced: unknown;
  try {
    // Arguments were validated against the tool's schema before this call.
    produced = (handler as ToolHandler<unknown>)(args, ctx);
  } catch (error) {
    return failed(error, signal, out);
  }
  const cpuMs = performance.now() - started;
  if (isAsyncIterable(produced) || isPromiseLike(produced)) return finish(produced, started, cpuMs, delivery, out, signal);
  try {
    const metrics: CallMetrics = { durationMs: round(performance.now() - started), cpuMs: round(cpuMs), chunks: 0 };
    const outcome: Outcome = { kind: 'complete', chunks: delivery === 'exactly-once' ? [] : null, result: produced, metrics };
    if (signal.aborted) return finishedAnyway(outcome, signal, out);
    out.complete(produced, metrics);
    return outcome;
  } catch (error) {
    return failed(error, signal, out);
  }
}

/** The asynchronous part of runHandler: a stream to drain or a promise to wait for. */
async function finish(
  produced: unknown,
  started: number,
  cpuSoFar: number,
  delivery: Delivery,
  out: InvokeOutput,
  signal: AbortState,
): Promise<Outcome | undefined> {
  let cpuMs = cpuSoFar;
  let seq = 0;
  const recorded: unknown[] | null = delivery === 'exactly-once' ? [] : null;
  let keep = recorded;
  let keptBytes = 0;
  try {
    let t: number;
    let result: unknown;
    let finished = true;
    if (isAsyncIterable(produced)) {
      const it = produced[Symbol.asyncIterator]();
      for (;;) {
        t = performance.now();
        const step = it.next();
        cpuMs += performance.now() - t;
        const r = await step;
        if (signal.aborted) {
          finished = false;
          await it.return?.();
          break;
        }
        if (r.done) {
          result = r.value;
          break;
        }
        if (keep) {
          keptBytes += approxSize(r.value, MAX_RECORDED_CHUNK_BYTES);
          if (keep.length < MAX_RECORDED_CHUNKS && keptBytes <= MAX_RECORDED_CHUNK_BYTES) keep.push(r.value);
          else keep = null;
        }
        await out.chunk(seq++, r.value);
      }
    } else {
      result = isPromiseLike(produced) ? await produced : produced;
    }
    if (signal.aborted && !finished) return interrupted(signal, out);
    if (result instanceof ReportedResult) {
      if (result.metrics.cpuMs !== undefined) cpuMs = result.metrics.cpuMs;
      result = result.value;
    }
    const m: CallMetrics = { durationMs: round(performance.now() - started), cpuMs: round(cpuMs), chunks: seq };
    const outcome: Outcome = { kind: 'complete', chunks: keep, result, metrics: m };
    if (signal.aborted) return finishedAnyway(outcome, signal, out);
    out.complete(result, m);
    return outcome;
  } catch (error) {
    return failed(error, signal, out);
  }
}

/** The handler threw (or its stream or promise failed): one terminal ERROR. */
function failed(error: unknown, signal: AbortState, out: InvokeOutput): Outcome | undefined {
  if (signal.aborted) return interrupted(signal, out);
  const { code, message, data } = toWireError(error);
  out.error(code, message, data);
  return data === undefined ? { kind: 'error', code, message } : { kind: 'error', code, message, data };
}

/**
 * The handler was interrupted (INTERRUPT, session end) but returned anyway: the caller gets the
 * interruption, yet the run happened, so its outcome is what an exactly-once record keeps; a
 * repeat of the message id gets it instead of running the handler again.
 */
function finishedAnyway(outcome: Outcome, signal: AbortState, out: InvokeOutput): Outcome {
  interrupted(signal, out);
  return outcome;
}

function interrupted(signal: AbortState, out: InvokeOutput): undefined {
  const reason = signal.reason;
  if (reason instanceof ProtocolError) out.error(reason.code, reason.message);
  else out.error(ErrorCode.INTERRUPTED, 'interrupted');
  return undefined;
}

/**
 * Turns anything a handler throws into a wire error: a ProtocolError keeps its code and data, a
 * local error takes its code from LocalErrorWireCode, anything else is 500 (wireCodeOf).
 */
export function toWireError(error: unknown): { code: number; message: string; data?: unknown } {
  if (error instanceof ProtocolError && error.data !== undefined) return { code: error.code, message: error.message, data: error.data };
  return { code: wireCodeOf(error), message: error instanceof Error ? error.message : String(error) };
}

/** Replays a recorded outcome to a retried exactly-once invoke. */
export async function replayOutcome(outcome: Outcome, out: InvokeOutput): Promise<void> {
  if (outcome.kind === 'error') {
    out.error(outcome.code, outcome.message, outcome.data);
    return;
  }
  if (outcome.chunks) for (let i = 0; i < outcome.chunks.length; i++) await out.chunk(i, outcome.chunks[i]);
  out.complete(outcome.result, outcome.metrics);
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

export function parseOutcome(value: unknown): Outcome | undefined {
  if (typeof value !== 'object' || value === null || !('kind' in value)) return undefined;
  if (value.kind === 'complete' && 'metrics' in value && 'result' in value && 'chunks' in value) {
    const metrics = value.metrics;
    const chunks = value.chunks;
    if (typeof metrics !== 'object' || metrics === null) return undefined;
    return {
      kind: 'complete',
      chunks: Array.isArray(chunks) ? chunks : null,
      result: value.result,
      metrics: {
        durationMs: 'durationMs' in metrics && typeof metrics.durationMs === 'number' ? metrics.durationMs : 0,
        chunks: 'chunks' in metrics && typeof metrics.chunks === 'number' ? metrics.chunks : 0,
        ...('cpuMs' in metrics && typeof metrics.cpuMs === 'number' ? { cpuMs: metrics.cpuMs } : {}),
      },
    };
  }
  if (value.kind === 'error' && 'code' in value && typeof value.code === 'number' && 'message' in value) {
    const data = 'data' in value && value.data !== undefined ? { data: value.data } : {};
    return { kind: 'error', code: value.code, message: String(value.message), ...data };
  }
  return undefined;
}
