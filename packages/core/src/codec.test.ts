import { decode as referenceDecode } from '@msgpack/msgpack';
import { describe, expect, it } from 'vitest';
import { createCodec, jsonCodec, msgpackCodec, msgpackReferenceCodec } from './codec.js';

const envelope = { id: '01JC3ZK4W8Q2V7X9B5N6M1T0RA', tool: 'search', args: { q: 'ünïcode', n: 3, f: 1.5, big: 2 ** 40 }, dl: 2 };

describe('codecs', () => {
  it('msgpack output is standard MessagePack that a stock decoder reads', () => {
    const bytes = msgpackCodec().encode(envelope);
    expect(referenceDecode(bytes)).toEqual(envelope);
    expect(msgpackReferenceCodec().decode(bytes)).toEqual(envelope);
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
    expect(() => c.decode(new Uint8Array([0x81]))).toThrow();
    expect(() => c.decode(new Uint8Array([0xc1]))).toThrow(/0xc1/);
  });

  it('json round-trips and rejects invalid UTF-8', () => {
    const c = jsonCodec();
    expect(c.decode(c.encode(envelope))).toEqual(envelope);
    expect(() => c.decode(new Uint8Array([0xff, 0xfe]))).toThrow();
  });

  it('refuses unknown codec names clearly', () => {
    expect(() => createCodec('cbor')).toThrow(/unknown codec "cbor"/);
  });
});
