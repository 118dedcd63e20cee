import { context, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { contextFromTraceparent, formatTraceparent, parseTraceparent, traceparent } from '../src/index.js';
import { testSdk } from './sdk.js';

const TP = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('W3C traceparent', () => {
  it('reads and writes version 00', () => {
    const span = parseTraceparent(TP);
    expect(span).toEqual({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED, isRemote: true });
    expect(span && formatTraceparent(span)).toBe(TP);
    expect(parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00')?.traceFlags).toBe(TraceFlags.NONE);
  });

  it('reads the first four fields of a later version, which may carry more', () => {
    expect(parseTraceparent('cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-comes-next')?.spanId).toBe('00f067aa0ba902b7');
  });

  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['version ff', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    ['version 00 with more fields', `${TP}-extra`],
    ['all-zero trace id', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
    ['all-zero parent id', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01'],
    ['upper-case hex', '00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01'],
    ['short trace id', '00-4bf92f3577b34da6a3ce929d0e0e47-00f067aa0ba902b7-01'],
    ['not hex', '00-4bf92f3577b34da6a3ce929d0e0e473x-00f067aa0ba902b7-01'],
  ])('ignores a malformed one (%s): the call starts a new trace', (_what, value) => {
    expect(parseTraceparent(value)).toBeUndefined();
    expect(contextFromTraceparent(value, ROOT_CONTEXT)).toBe(ROOT_CONTEXT);
  });

  it('traceparent() is the active span context, and undefined without one', () => {
    testSdk(); // registers a context manager, so context.with() has an effect
    expect(traceparent(ROOT_CONTEXT)).toBeUndefined();
    expect(traceparent()).toBeUndefined();
    expect(context.with(contextFromTraceparent(TP, ROOT_CONTEXT), () => traceparent())).toBe(TP);
    expect(traceparent(trace.setSpanContext(ROOT_CONTEXT, { traceId: '0'.repeat(32), spanId: '1'.repeat(16), traceFlags: 1 }))).toBeUndefined();
  });
});
