import { type Attributes, type Counter, type Histogram, type Meter, type MeterProvider, metrics, type Tracer, type TracerProvider, trace } from '@opentelemetry/api';
import { DURATION_BUCKETS, METRIC, SCOPE } from './names.js';

export interface TelemetryOptions {
  /** Where spans go. @default the global TracerProvider (`trace.getTracerProvider()`), a no-op until an SDK registers one */
  tracerProvider?: TracerProvider;
  /** Where metrics go. @default the global MeterProvider (`metrics.getMeterProvider()`), a no-op until an SDK registers one */
  meterProvider?: MeterProvider;
}

/** The tracer, meter and the synchronous instruments every part of this package records to. */
export class Instruments {
  readonly tracer: Tracer;
  readonly meter: Meter;
  readonly toolCalls: Counter;
  readonly toolDuration: Histogram;
  readonly clientCalls: Counter;
  readonly clientDuration: Histogram;

  constructor(options: TelemetryOptions, version: string) {
    this.tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(SCOPE, version);
    this.meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(SCOPE, version);
    this.toolCalls = this.meter.createCounter(METRIC.toolCalls, { unit: '{call}', description: 'Tool handler runs that ended, by tool and outcome' });
    this.toolDuration = this.duration(METRIC.toolDuration, 'Time from a tool handler starting to its result or error');
    this.clientCalls = this.meter.createCounter(METRIC.clientCalls, { unit: '{call}', description: 'Calls a client made that settled, by tool and outcome' });
    this.clientDuration = this.duration(METRIC.clientDuration, 'Time from a client sending a call to its terminal frame');
  }

  duration(name: string, description: string): Histogram {
    return this.meter.createHistogram(name, { unit: 's', description, advice: { explicitBucketBoundaries: DURATION_BUCKETS } });
  }
}

/** `asp.error.code` of a failure: the ASP wire code (ProtocolError), a local error's code (AgentSocketError), else 500. */
export function errorCode(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code: unknown = error.code;
    if (typeof code === 'number' || typeof code === 'string') return String(code);
  }
  return '500';
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Seconds since `started` (a performance.now() reading). */
export function secondsSince(started: number): number {
  return (performance.now() - started) / 1000;
}

/**
 * The metric attributes of one tool's outcomes, made once per tool and error code: recording a
 * call then allocates nothing (the hot path of an instrumented call).
 */
export class OutcomeAttributes {
  readonly ok: Attributes;
  private readonly errors = new Map<string, Attributes>();

  constructor(private readonly tool: string) {
    this.ok = { 'asp.tool': tool, 'asp.outcome': 'ok' };
  }

  of(error: unknown): Attributes {
    if (error === undefined) return this.ok;
    const code = errorCode(error);
    let attributes = this.errors.get(code);
    if (!attributes) {
      attributes = { 'asp.tool': this.tool, 'asp.outcome': 'error', 'asp.error.code': code };
      // Bounded: codes are the wire's and the local errors' (a few dozen).
      if (this.errors.size < 256) this.errors.set(code, attributes);
    }
    return attributes;
  }
}

/** OutcomeAttributes per tool name, for a client that calls any tool. */
export class OutcomeTable {
  private readonly byTool = new Map<string, OutcomeAttributes>();

  for(tool: string): OutcomeAttributes {
    let o = this.byTool.get(tool);
    if (!o) {
      o = new OutcomeAttributes(tool);
      if (this.byTool.size < 10_000) this.byTool.set(tool, o);
    }
    return o;
  }
}
