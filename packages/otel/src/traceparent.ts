import { type Context, context, isSpanContextValid, type SpanContext, trace, TraceFlags } from '@opentelemetry/api';

// W3C Trace Context, version 00: 00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>. Later
// versions may append fields after the flags; their first four fields read the same (§3.2.4).
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** The W3C `traceparent` of a span context, or undefined for an invalid one (no trace). */
export function formatTraceparent(span: SpanContext): string | undefined {
  if (!isSpanContextValid(span)) return undefined;
  return `00-${span.traceId}-${span.spanId}-${(span.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/**
 * Reads a W3C `traceparent` into a remote span context; undefined when it is absent or malformed
 * (version ff, all-zero ids, a version-00 header with extra fields), so a bad value from the wire
 * starts a new trace instead of failing the call.
 */
export function parseTraceparent(value: string | undefined): SpanContext | undefined {
  if (value === undefined) return undefined;
  const m = TRACEPARENT.exec(value.trim());
  if (!m) return undefined;
  const [, version, traceId, spanId, flags, rest] = m;
  if (version === undefined || traceId === undefined || spanId === undefined || flags === undefined) return undefined;
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  const span: SpanContext = { traceId, spanId, traceFlags: Number.parseInt(flags, 16) & TraceFlags.SAMPLED, isRemote: true };
  return isSpanContextValid(span) ? span : undefined;
}

/** The context a call continues: the given traceparent's span as a remote parent, else `base`. */
export function contextFromTraceparent(value: string | undefined, base: Context = context.active()): Context {
  const span = parseTraceparent(value);
  return span ? trace.setSpanContext(base, span) : base;
}

/**
 * The `traceparent` of the span active in `ctx` (default: the current context), to hand on where
 * no instrumentation does it for you: `InvokeOptions.traceparent`, a task's `traceparent`, an MCP
 * request's `params._meta.traceparent`. Undefined when no span is active.
 */
export function traceparent(ctx: Context = context.active()): string | undefined {
  const span = trace.getSpanContext(ctx);
  return span ? formatTraceparent(span) : undefined;
}
