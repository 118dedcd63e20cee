import { describe, expect, it } from 'vitest';
import { jsonCodec, msgpackCodec } from './codec.js';
import { decodeFrame, encodeFrame } from './frame.js';
import { ulidToBytes } from './ids.js';
import { parseMessage } from './messages.js';
import { Flag, FrameType } from './opcodes.js';
import { completePayload, streamPayload } from './output-payloads.js';
import {
  ackPayload,
  errorPayload,
  goAwayPayload,
  interruptPayload,
  invokePayload,
  leanPayload,
  messagePayload,
  payloadFrame,
  pingPayload,
  toolDefPayload,
  unreliableMessageFrame,
} from './payloads.js';

const metrics = { durationMs: 1.5, chunks: 2 };
const message = { id: 'm1', event: 'news', data: { a: 1 }, from: 'bob', delivery: 'at-most-once' as const };

describe('payloads', () => {
  it.each([
    ['INVOKE at-least-once', FrameType.INVOKE, invokePayload('m1', 'echo', { x: 1 }, 'at-least-once', undefined, undefined), { id: 'm1', tool: 'echo', args: { x: 1 } }],
    [
      'INVOKE exactly-once with trace and target',
      FrameType.INVOKE,
      invokePayload('m1', 'echo', {}, 'exactly-once', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', 'bob'),
      { id: 'm1', tool: 'echo', args: {}, dl: 2, tp: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', to: 'bob' },
    ],
    ['INVOKE at-most-once', FrameType.INVOKE, invokePayload('m1', 'echo', {}, 'at-most-once', undefined, undefined), { id: 'm1', tool: 'echo', args: {}, dl: 0 }],
    ['STREAM', FrameType.STREAM, streamPayload(3, 'x'), { seq: 3, data: 'x' }],
    ['COMPLETE', FrameType.COMPLETE, completePayload(42, metrics), { result: 42, metrics }],
    ['ERROR', FrameType.ERROR, errorPayload(404, 'no such tool'), { code: 404, message: 'no such tool' }],
    ['ERROR with data', FrameType.ERROR, errorPayload(422, 'bad', { at: '/x' }), { code: 422, message: 'bad', data: { at: '/x' } }],
    ['INTERRUPT', FrameType.INTERRUPT, interruptPayload('enough'), { reason: 'enough' }],
    ['TOOL_DEF', FrameType.TOOL_DEF, toolDefPayload('t1', [], ['old']), { id: 't1', tools: [], removed: ['old'] }],
    ['MESSAGE', FrameType.MESSAGE, messagePayload(message), { id: 'm1', ev: 'news', data: { a: 1 }, from: 'bob' }],
    ['MESSAGE to a room', FrameType.MESSAGE, messagePayload({ ...message, room: 'ops' }), { id: 'm1', ev: 'news', data: { a: 1 }, from: 'bob', room: 'ops' }],
    ['GOAWAY', FrameType.GOAWAY, goAwayPayload(4503, 'restart', undefined), { code: 4503, reason: 'restart' }],
    ['GOAWAY with retryMs', FrameType.GOAWAY, goAwayPayload(4503, 'restart', 500), { code: 4503, reason: 'restart', retryMs: 500 }],
    ['ACK', FrameType.ACK, ackPayload(7), { ack: 7 }],
    ['PING', FrameType.PING, pingPayload(123), { t: 123 }],
  ])('builds %s exactly as protocol.md names its fields, and it parses back', (_name, type, payload, expected) => {
    expect(payload).toEqual(expected);
    expect(() => parseMessage(type, payload)).not.toThrow();
  });

  it.each([
    ['msgpack', msgpackCodec()],
    ['json', jsonCodec()],
  ])('encodes a whole frame (%s) byte for byte as header plus encoded payload', (_name, codec) => {
    const payload = { ...streamPayload(1, { big: 'x'.repeat(300) }), sq: 9 };
    const frame = payloadFrame(codec, FrameType.STREAM, Flag.RELIABLE, 5, payload);
    expect(Array.from(frame)).toEqual(Array.from(encodeFrame(FrameType.STREAM, Flag.RELIABLE, 5, codec.encode(payload))));
    const f = decodeFrame(frame);
    expect([f.type, f.flags, f.requestId]).toEqual([FrameType.STREAM, Flag.RELIABLE, 5]);
    expect(codec.decode(f.payload)).toEqual(payload);
  });

  it('builds the MESSAGE frame of an at-most-once team message: no RELIABLE flag, no sq, request 0', () => {
    const codec = msgpackCodec();
    const f = decodeFrame(unreliableMessageFrame(codec, message));
    expect([f.type, f.flags, f.requestId]).toEqual([FrameType.MESSAGE, 0, 0]);
    expect(codec.decode(f.payload)).toEqual({ id: 'm1', ev: 'news', data: { a: 1 }, from: 'bob' });
  });
});

describe('lean payloads (protocol.md §6)', () => {
  const ulid = '01ARZ3NDEKTSV4RRFFQ69G5FAV';
  const invoke = (id: string, metricsWanted = false) =>
    ({ ...invokePayload(id, 'search', { q: 'x' }, 'exactly-once', 'tp', undefined, metricsWanted), sq: 3, ack: 2 });

  it('renames INVOKE, STREAM and COMPLETE keys in place and leaves other frames alone', () => {
    expect(leanPayload(FrameType.INVOKE, invoke(ulid, true), true)).toEqual({ i: ulidToBytes(ulid), n: 'search', a: { q: 'x' }, dl: 2, tp: 'tp', m: true, sq: 3, ack: 2 });
    expect(Object.keys(leanPayload(FrameType.INVOKE, invoke(ulid), true))).toEqual(['i', 'n', 'a', 'dl', 'tp', 'sq', 'ack']);
    expect(leanPayload(FrameType.STREAM, { ...streamPayload(4, 'tok'), sq: 9 }, true)).toEqual({ s: 4, d: 'tok', sq: 9 });
    expect(leanPayload(FrameType.COMPLETE, completePayload('r', undefined), true)).toEqual({ r: 'r' });
    expect(leanPayload(FrameType.COMPLETE, completePayload('r', metrics), true)).toEqual({ r: 'r', m: metrics });
    const error = errorPayload(404, 'no');
    expect(leanPayload(FrameType.ERROR, error, true)).toBe(error);
  });

  it('sends an id as a string when it is not a canonical ULID or the codec has no binary type', () => {
    expect(leanPayload(FrameType.INVOKE, invoke('order-42'), true)['i']).toBe('order-42');
    expect(leanPayload(FrameType.INVOKE, invoke(ulid.toLowerCase()), true)['i']).toBe(ulid.toLowerCase());
    expect(leanPayload(FrameType.INVOKE, invoke(ulid), false)['i']).toBe(ulid);
  });

  it('reads both forms once agreed, and a 16-byte id as its ULID string', () => {
    for (const codec of [msgpackCodec(), jsonCodec()]) {
      const lean = codec.decode(codec.encode(leanPayload(FrameType.INVOKE, invoke(ulid), codec.name === 'msgpack')));
      expect(parseMessage(FrameType.INVOKE, lean, true)).toMatchObject({ id: ulid, tool: 'search', args: { q: 'x' }, delivery: 'exactly-once', metrics: false });
    }
    expect(parseMessage(FrameType.INVOKE, invoke(ulid, true), true)).toMatchObject({ id: ulid, tool: 'search', metrics: true });
    expect(parseMessage(FrameType.INVOKE, leanPayload(FrameType.INVOKE, invoke(ulid, true), true), true)).toMatchObject({ metrics: true });
    expect(parseMessage(FrameType.STREAM, { s: 2, d: 'x' }, true)).toEqual({ type: FrameType.STREAM, seq: 2, data: 'x' });
    expect(parseMessage(FrameType.STREAM, { seq: 2, data: 'x' }, true)).toEqual({ type: FrameType.STREAM, seq: 2, data: 'x' });
    expect(parseMessage(FrameType.COMPLETE, { r: 5 }, true)).toEqual({ type: FrameType.COMPLETE, result: 5, metrics: { durationMs: 0, chunks: 0 } });
    expect(parseMessage(FrameType.COMPLETE, { r: 5, m: { durationMs: 2, chunks: 1, cpuMs: 1 } }, true)).toMatchObject({ result: 5, metrics: { durationMs: 2, chunks: 1, cpuMs: 1 } });
    expect(parseMessage(FrameType.COMPLETE, { result: null, r: 5 }, true)).toMatchObject({ result: null });
  });

  it('refuses a binary id of another length, an m that is not a boolean, and the lean form where it was not agreed', () => {
    expect(() => parseMessage(FrameType.INVOKE, { i: new Uint8Array(15), n: 't' }, true)).toThrow('INVOKE.i must be a string or 16 bytes, got 15 bytes');
    expect(() => parseMessage(FrameType.INVOKE, { i: 7, n: 't' }, true)).toThrow('INVOKE.i must be a string or 16 bytes');
    expect(() => parseMessage(FrameType.INVOKE, { i: 'x', n: 't', m: 1 }, true)).toThrow('INVOKE.m');
    expect(() => parseMessage(FrameType.INVOKE, { i: 'x', n: 't' }, false)).toThrow('INVOKE.id');
    expect(() => parseMessage(FrameType.STREAM, { s: 1, d: 'x' }, false)).toThrow('STREAM.seq');
    // Long-form COMPLETE without the agreement: r is an unknown field.
    expect(parseMessage(FrameType.COMPLETE, { r: 5 }, false)).toMatchObject({ result: undefined });
  });
});
