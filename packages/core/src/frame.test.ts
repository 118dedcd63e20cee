import { describe, expect, it } from 'vitest';
import { AgentSocketError } from './errors.js';
import { decodeFrame, encodeFrame, HEADER_SIZE, peekHeader } from './frame.js';
import { FrameType } from './opcodes.js';

describe('frame codec', () => {
  it('writes the draft-01 header big-endian', () => {
    const f = encodeFrame(FrameType.STREAM, 0x02, 0x8001, new Uint8Array([0xaa, 0xbb]));
    expect([...f]).toEqual([0x13, 0x02, 0x80, 0x01, 0, 0, 0, 2, 0xaa, 0xbb]);
    expect(decodeFrame(f)).toMatchObject({ version: 1, type: 3, flags: 2, requestId: 0x8001 });
    expect(peekHeader(f)).toEqual({ type: 3, flags: 2, requestId: 0x8001, length: 2 });
  });

  it('round-trips every type, flag byte and request id edge', () => {
    for (const type of Object.values(FrameType)) {
      for (const rid of [0, 1, 0x7fff, 0x8000, 0xffff]) {
        const payload = new Uint8Array([type, rid & 0xff]);
        const d = decodeFrame(encodeFrame(type, 0xff, rid, payload));
        expect(d.type).toBe(type);
        expect(d.requestId).toBe(rid);
        expect(d.flags).toBe(0xff);
        expect([...d.payload]).toEqual([...payload]);
      }
    }
  });

  it('carries payload lengths above 2^31 in the unsigned 32-bit field', () => {
    const header = new Uint8Array(HEADER_SIZE);
    header.set([0x12, 0, 0, 1, 0x80, 0, 0, 0]);
    expect(peekHeader(header)?.length).toBe(2 ** 31);
  });

  it('rejects short frames and length mismatches with INVALID_FRAME', () => {
    expect(() => decodeFrame(new Uint8Array(7))).toThrow(AgentSocketError);
    const f = encodeFrame(FrameType.INVOKE, 0, 1, new Uint8Array(4));
    expect(() => decodeFrame(f.subarray(0, f.length - 1))).toThrow(/header says 4 payload bytes but 3 arrived/);
    expect(() => decodeFrame(new Uint8Array([...f, 0]))).toThrow(/5 arrived/);
  });
});
