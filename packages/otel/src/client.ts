import type { Call, ClientInstrumentation, InvokeOptions } from '@agentsocket/core';
import { context, type Span, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { ATTR, SPAN } from './names.js';
import { errorMessage, type Instruments, type OutcomeAttributes, OutcomeTable, secondsSince } from './telemetry.js';
import { contextFromTraceparent, formatTraceparent } from './traceparent.js';

/** One call being measured; its settle handlers are methods, so a call makes no closures. */
class Outgoing {
  constructor(
    private readonly inst: Instruments,
    private readonly span: Span,
    private readonly outcomes: OutcomeAttributes,
    private readonly started: number,
  ) {}

  readonly ok = (): void => this.end(undefined);
  readonly failed = (error: unknown): void => this.end(error);

  private end(error: unknown): void {
    const attributes = this.outcomes.of(error);
    this.inst.clientCalls.add(1, attributes);
    this.inst.clientDuration.record(secondsSince(this.started), attributes);
    if (error !== undefined) {
      this.span.setAttribute(ATTR.errorCode, String(attributes[ATTR.errorCode]));
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(error) });
    }
    this.span.end();
  }
}

/**
 * AgentClientOptions.instrumentation: a CLIENT span per call (child of `options.traceparent` when
 * given, else of the active span), its traceparent sent with the INVOKE, and `asp.client.calls` /
 * `asp.client.duration` when the call settles.
 */
export function clientInstrumentation(inst: Instruments): ClientInstrumentation {
  const outcomes = new OutcomeTable();
  const starts = new Map<string, { kind: SpanKind; attributes: Record<string, string> }>();
  return {
    invoke<T, C>(tool: string, options: InvokeOptions, send: (options: InvokeOptions) => Call<T, C>): Call<T, C> {
      const parent = contextFromTraceparent(options.traceparent, context.active());
      let start = starts.get(tool);
      if (!start) {
        start = { kind: SpanKind.CLIENT, attributes: { [ATTR.rpcSystem]: 'asp', [ATTR.rpcMethod]: tool, [ATTR.tool]: tool } };
        if (starts.size < 10_000) starts.set(tool, start);
      }
      const span = inst.tracer.startSpan(SPAN.invoke(tool), start, parent);
      const own = formatTraceparent(span.spanContext());
      const started = performance.now();
      let call: Call<T, C>;
      try {
        call = send(own === undefined || own === options.traceparent ? options : { ...options, traceparent: own });
      } catch (error) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(error) });
        span.end();
        throw error;
      }
      if (span.isRecording()) {
        span.setAttribute(ATTR.delivery, options.delivery ?? 'at-least-once');
        span.setAttribute(ATTR.messageId, call.messageId);
      }
      const outgoing = new Outgoing(inst, span, outcomes.for(tool), started);
      call.result.then(outgoing.ok, outgoing.failed);
      return call;
    },
  };
}
