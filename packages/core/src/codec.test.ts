import { decode as referenceDecode } from '@msgpack/msgpack';
import { describe, expect, it } from 'vitest';
import { createCodec, jsonCodec, msgpackCodec } from './codec.js';
import { AgentSocketError } from './errors.js';

const envelope = { id: '01JC3ZK4W8Q2V7X9B5N6M1T0RA', tool: 'search', args: { q: 'ünïcode', n: 3, f: 1.5, big: 2 ** 40 }, dl: 2 };

describe('codecs', () => {
  it('msgpack output is standard MessagePack that a stock decoder reads', () => {
    const bytes = msgpackCodec().encode(envelope);
    expect(referenceDecode(bytes)).toEqual(envelope);
  });

  it('drops undefined properties instead of emitting extension types', () => {
    const bytes = msgpackCodec().encode({ a: 1, b: undefined });
    expect([...bytes]).toEqual([0x81, 0xa1, 0x61, 0x01]);
  });

  it('carries binary as MessagePack bin', () => {
    const bytes = msgpackCodec().encode({ b: new Uint8Array([1, 2, 3]) });
    expect([...bytes]).toEqual([0x81, 0xa1, 0x62, 0xc4, 0x03, 1, 2, 3]);
  });

  it('rejects invalid MessagePack, including the never-used byte 0xc1', () => {
    const c = msgpackCodec();
    expect(() => c.decode(new Uint8Array([0x81]))).toThrow(AgentSocketError);
    expect(() => c.decode(new Uint8Array([0xc1]))).toThrow(/0xc1/);
  });

  it('json round-trips and rejects an empty payload, invalid UTF-8 and invalid JSON as INVALID_FRAME', () => {
    const c = jsonCodec();
    expect(c.decode(c.encode(envelope))).toEqual(envelope);
    const te = new TextEncoder();
    const cases: Array<[Uint8Array, RegExp, (new (...args: never[]) => Error) | undefined]> = [
      [new Uint8Array(0), /^JSON input is empty$/, undefined],
      [new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), /^JSON input does not decode: .+/, TypeError],
      [te.encode('{"a":1'), /^JSON input does not decode: .+/, SyntaxError],
      [te.encode('{"a":1} x'), /^JSON input does not decode: .+/, SyntaxError],
    ];
    for (const [bytes, message, cause] of cases) {
      let error: unknown;
      try {
        c.decode(bytes);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(AgentSocketError);
      expect(error).toMatchObject({ code: 'INVALID_FRAME', message: expect.stringMatching(message) });
      if (cause) {
        const inner = (error as AgentSocketError).cause;
        expect(inner).toBeInstanceOf(cause);
        expect((error as AgentSocketError).message).toContain((inner as Error).message);
      }
    }
  });

  it('refuses unknown codec names clearly', () => {
    expect(() => createCodec('cbor')).toThrow(/unknown codec "cbor"/);
  });
});
