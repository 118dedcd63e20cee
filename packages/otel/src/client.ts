import type { Call, ClientInstrumentation, InvokeOptions } from '@agentsocket/core';
import { context, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { ATTR, SPAN } from './names.js';
import { errorMessage, type Instruments, outcomeAttributes, secondsSince } from './telemetry.js';
import { contextFromTraceparent, formatTraceparent } from './traceparent.js';

/**
 * AgentClientOptions.instrumentation: a CLIENT span per call (child of `options.traceparent` when
 * given, else of the active span), its traceparent sent with the INVOKE, and `asp.client.calls` /
 * `asp.client.duration` when the call settles.
 */
export function clientInstrumentation(inst: Instruments): ClientInstrumentation {
  return {
    invoke<T, C>(tool: string, options: InvokeOptions, send: (options: InvokeOptions) => Call<T, C>): Call<T, C> {
      const parent = contextFromTraceparent(options.traceparent, context.active());
      const attributes = { [ATTR.rpcSystem]: 'asp', [ATTR.rpcMethod]: tool, [ATTR.tool]: tool, [ATTR.delivery]: options.delivery ?? 'at-least-once' };
      const span = inst.tracer.startSpan(SPAN.invoke(tool), { kind: SpanKind.CLIENT, attributes }, parent);
      const own = formatTraceparent(span.spanContext());
      const started = performance.now();
      let call: Call<T, C>;
      try {
        call = send(own === undefined ? options : { ...options, traceparent: own });
      } catch (error) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(error) });
        span.end();
        throw error;
      }
      span.setAttribute(ATTR.messageId, call.messageId);
      const end = (error?: unknown) => {
        const metric = outcomeAttributes({ [ATTR.tool]: tool }, error);
        inst.clientCalls.add(1, metric);
        inst.clientDuration.record(secondsSince(started), metric);
        if (error !== undefined) {
          span.setAttribute(ATTR.errorCode, String(metric[ATTR.errorCode]));
          span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(error) });
        }
        span.end();
      };
      call.result.then(
        () => end(),
        (error: unknown) => end(error),
      );
      return call;
    },
  };
}

