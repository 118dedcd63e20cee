import { type AnyToolDefinition, ErrorCode, ProtocolError, type ToolContext, type ToolSet } from '@agentsocket/core';
import { isAsyncIterable } from '@agentsocket/core/internal';
import { type Context, context, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ATTR, SPAN } from './names.js';
import { errorMessage, type Instruments, OutcomeAttributes, secondsSince } from './telemetry.js';
import { contextFromTraceparent, formatTraceparent } from './traceparent.js';

/** A ToolContext's sessionId for a queued task (`task:<id>`, see @agentsocket/tasks). */
const TASK_SESSION = 'task:';

/**
 * Wraps one tool's handler: a span per run (child of the caller's `ctx.traceparent`), run in that
 * span's context, `asp.tool.calls` and `asp.tool.duration` when it ends. The handler's `ctx.traceparent`
 * becomes the tool span's own, so whatever it hands on (an invoke, a task, an MCP request) is a
 * child of this run.
 */
export function instrumentDefinition<D extends AnyToolDefinition>(name: string, definition: D, inst: Instruments): D {
  const handler = definition.handler.bind(definition) as (args: unknown, ctx: ToolContext) => unknown;
  const spanName = SPAN.tool(name);
  const outcomes = new OutcomeAttributes(name);
  // Made once: what every run's span starts with. The rest is set only on a recording span.
  const serverStart = { kind: SpanKind.SERVER, attributes: { [ATTR.rpcSystem]: 'asp', [ATTR.rpcMethod]: name, [ATTR.tool]: name } };
  const taskStart = { ...serverStart, kind: SpanKind.CONSUMER };
  const wrapped = (args: unknown, ctx: ToolContext): unknown => {
    const parent = contextFromTraceparent(ctx.traceparent);
    const task = ctx.sessionId.startsWith(TASK_SESSION);
    const span = inst.tracer.startSpan(spanName, task ? taskStart : serverStart, parent);
    if (span.isRecording()) {
      span.setAttribute(ATTR.delivery, ctx.delivery);
      span.setAttribute(ATTR.messageId, ctx.messageId);
      if (task) span.setAttribute(ATTR.taskId, ctx.sessionId.slice(TASK_SESSION.length));
      else span.setAttribute(ATTR.sessionId, ctx.sessionId);
    }
    const active = trace.setSpan(parent, span);
    const own = formatTraceparent(span.spanContext());
    // A context is made per call and only this handler sees it; a frozen one keeps the caller's.
    if (own !== undefined && own !== ctx.traceparent) Reflect.defineProperty(ctx, 'traceparent', { value: own, enumerable: true, configurable: true });
    const run: Run = { inst, span, outcomes, started: performance.now() };
    let produced: unknown;
    try {
      produced = context.with(active, handler, undefined, args, ctx);
    } catch (error) {
      finish(run, error);
      throw error;
    }
    if (isAsyncIterable(produced)) return tracedStream(produced, active, run);
    if (produced instanceof Promise) {
      return produced.then(
        (value: unknown) => {
          finish(run, undefined);
          return value;
        },
        (error: unknown) => {
          finish(run, error);
          throw error;
        },
      );
    }
    finish(run, undefined);
    return produced;
  };
  // The wrapper takes and returns what the handler did, so the definition keeps its type.
  return { ...definition, handler: wrapped } as D;
}

/** One handler run being measured. */
interface Run {
  readonly inst: Instruments;
  readonly span: Span;
  readonly outcomes: OutcomeAttributes;
  readonly started: number;
}

/** Every tool of a set, wrapped as instrumentDefinition does; the set keeps its type. */
export function instrumentToolSet<T extends ToolSet>(tools: T, inst: Instruments): T {
  const out: ToolSet = {};
  for (const [name, definition] of Object.entries(tools)) out[name] = instrumentDefinition(name, definition, inst);
  return out as T;
}

function finish(run: Run, error: unknown): void {
  const attributes = run.outcomes.of(error);
  run.inst.toolCalls.add(1, attributes);
  run.inst.toolDuration.record(secondsSince(run.started), attributes);
  const span = run.span;
  if (error !== undefined) {
    span.setAttribute(ATTR.errorCode, String(attributes[ATTR.errorCode]));
    span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(error) });
    if (error instanceof Error) span.recordException(error);
  }
  span.end();
}

/** The handler's stream, each step run in the tool span's context; the span ends with the stream. */
async function* tracedStream(stream: AsyncIterable<unknown>, active: Context, run: Run): AsyncGenerator<unknown, unknown, undefined> {
  const iterator = stream[Symbol.asyncIterator]();
  let ended = false;
  try {
    for (;;) {
      const next = await context.with(active, () => iterator.next());
      if (next.done) {
        ended = true;
        finish(run, undefined);
        return next.value;
      }
      yield next.value;
    }
  } catch (error) {
    if (!ended) {
      ended = true;
      finish(run, error);
    }
    throw error;
  } finally {
    // Stopped early (an INTERRUPT, the caller gone): the handler's own finally blocks still run.
    if (!ended) {
      finish(run, new ProtocolError(ErrorCode.INTERRUPTED, 'stopped before the handler finished'));
      await iterator.return?.();
    }
  }
}
