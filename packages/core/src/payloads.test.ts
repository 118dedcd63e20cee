import { describe, expect, it } from 'vitest';
import { jsonCodec, msgpackCodec } from './codec.js';
import { decodeFrame, encodeFrame } from './frame.js';
import { parseMessage } from './messages.js';
import { Flag, FrameType } from './opcodes.js';
import {
  ackPayload,
  completePayload,
  errorPayload,
  goAwayPayload,
  interruptPayload,
  invokePayload,
  messagePayload,
  payloadFrame,
  pingPayload,
  streamPayload,
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
