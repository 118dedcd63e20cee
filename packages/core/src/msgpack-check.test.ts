import { Packr, Unpackr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { jsonCodec, msgpackCodec } from './codec.js';
import { AgentSocketError } from './errors.js';

// docs/protocol.md §4 and §18 rule 5: a payload that is not exactly one MessagePack value, or that
// uses an extension type other than the timestamp (-1), does not decode. msgpackr alone (what the
// codec falls back to) accepts much of this; the codec must not.
const codec = msgpackCodec();
const lenient = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

function hex(bytes: ArrayLike<number>): string {
  return Buffer.from(Uint8Array.from(bytes)).toString('hex');
}

/** The error decode throws; fails the test when it returns or throws anything but INVALID_FRAME. */
function rejection(bytes: ArrayLike<number>): AgentSocketError {
  const input = Uint8Array.from(bytes);
  let value: unknown;
  try {
    value = codec.decode(input);
  } catch (error) {
    expect(error, hex(input)).toBeInstanceOf(AgentSocketError);
    expect(error, hex(input)).toMatchObject({ name: 'AgentSocketError', code: 'INVALID_FRAME' });
    return error as AgentSocketError;
  }
  throw new Error(`${hex(input)} decoded to ${String(value)}`);
}

/** `inner` at `depth` inside arrays, map values or map keys, alternating, behind a valid sibling. */
function nest(inner: number[], depth: number): number[] {
  let out = inner;
  for (let d = 0; d < depth; d++) {
    switch (d % 3) {
      case 0:
        out = [0x92, 0x01, ...out]; // [1, inner]
        break;
      case 1:
        out = [0x82, 0xa1, 0x61, 0xc0, 0xa1, 0x62, ...out]; // {a: nil, b: inner}
        break;
      default:
        out = [0x81, ...out, 0x01]; // {inner: 1}
    }
  }
  return out;
}

/** Every way to write an extension of `type` with `length` data bytes. */
function extensions(type: number, length: number): number[][] {
  const data = Array.from({ length }, (_, i) => i & 0xff);
  const forms = [
    [0xc7, length, type, ...data],
    [0xc8, 0, length, type, ...data],
    [0xc9, 0, 0, 0, length, type, ...data],
  ];
  const fixext = [1, 2, 4, 8, 16].indexOf(length);
  if (fixext >= 0) forms.push([0xd4 + fixext, type, ...data]);
  return forms;
}

describe('msgpack codec: strict decoding (docs/protocol.md §4, §18 rule 5)', () => {
  it('rejects 0xc1 at any depth, in arrays, map values and map keys', () => {
    for (const depth of [0, 1, 2, 3, 4, 5, 6, 10, 63]) {
      const bytes = nest([0xc1], depth);
      expect(rejection(bytes).message).toMatch(/0xc1 \(at offset \d+\) is never used/);
    }
    // Deeper than the shape limit (payload-limits.ts), the depth is what is refused.
    for (const depth of [65, 100, 1000]) expect(rejection(nest([0xc1], depth)).message).toMatch(/deeper than 64/);
    // msgpackr alone reads a nested 0xc1 as a marker object: the hole this closes.
    expect(() => lenient.unpack(Uint8Array.from(nest([0xc1], 1)))).not.toThrow();
    // In a payload the fast path would otherwise take, after a long valid prefix.
    const envelope = [...codec.encode({ id: '01JD8X5Q3C7T9V2N4M6P8R0S1W', tool: 'search', args: { q: 'x', list: [1, 2] } })];
    const withC1 = Uint8Array.from(envelope);
    withC1[withC1.length - 1] = 0xc1; // the array's last element
    expect(rejection(withC1).message).toContain(`offset ${envelope.length - 1}`);
  });

  it('rejects every extension type but the timestamp, in every ext format, top-level and nested', () => {
    for (let type = 0; type < 0xff; type++) {
      for (const length of [0, 1, 2, 4, 8, 16]) {
        for (const ext of extensions(type, length)) {
          const signed = type > 127 ? type - 256 : type;
          expect(rejection(ext).message).toContain(`extension type ${signed} `);
          expect(rejection(nest(ext, 2)).message).toContain(`extension type ${signed} `);
        }
      }
    }
  });

  it('rejects what msgpackr writes for its own types, though msgpackr reads it back', () => {
    const packr = new Packr({ structuredClone: true, moreTypes: true, useRecords: true });
    const values = [new Set([1]), new Error('x'), /a/g, new Int16Array([1, 2]), 2n ** 70n, { a: 1 }, [{ a: 1 }, { a: 2 }], undefined];
    for (const value of values) {
      const bytes = packr.pack(value);
      expect(() => lenient.unpack(bytes), hex(bytes)).not.toThrow();
      rejection(bytes);
      rejection([0x81, 0xa1, 0x76, ...bytes]);
    }
    const bundled = new Packr({ bundleStrings: true, useRecords: false }).pack({ text: 'a string long enough to bundle'.repeat(3) });
    expect(lenient.unpack(bundled)).toEqual({ text: 'a string long enough to bundle'.repeat(3) });
    rejection(bundled);
  });

  it('decodes the timestamp extension (-1) in its three forms to a Date', () => {
    const forms: Array<[number[], number]> = [
      [[0xd6, 0xff, 0x00, 0x00, 0x00, 0x01], 1000],
      [[0xd7, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02], 2000],
      [[0xd7, 0xff, 0xee, 0x6b, 0x27, 0xfc, 0x00, 0x00, 0x00, 0x02], 2999.999999], // 999,999,999 ns
      [[0xc7, 0x0c, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfd], -3000],
    ];
    for (const [bytes, ms] of forms) {
      const value = codec.decode(Uint8Array.from(bytes));
      expect(value, hex(bytes)).toBeInstanceOf(Date);
      expect((value as Date).getTime(), hex(bytes)).toBe(Math.floor(ms));
      expect(codec.decode(Uint8Array.from([0x81, 0xa1, 0x74, ...bytes]))).toEqual({ t: new Date(Math.floor(ms)) });
    }
  });

  it('never writes an extension type: a Date goes out as its ISO string, as the JSON codec sends it (§4)', () => {
    const date = new Date(1_700_000_000_123);
    expect(codec.decode(codec.encode({ at: date, list: [date] }))).toEqual({ at: date.toISOString(), list: [date.toISOString()] });
    expect(codec.decode(codec.encode({ at: date }))).toEqual(jsonCodec().decode(jsonCodec().encode({ at: date })));
    expect(codec.decode(codec.encode({ bad: new Date(Number.NaN) }))).toEqual({ bad: null });
    // Values our writer leaves to msgpackr (a Map, a Set) too.
    expect(codec.decode(codec.encode({ m: new Map([['at', date]]), s: new Set([date]) }))).toEqual({ m: { at: date.toISOString() }, s: [date.toISOString()] });
    // A Date inside a class instance would become the extension: refused with a clear error, not sent.
    class Event {
      constructor(readonly at: Date) {}
    }
    let thrown: unknown;
    try {
      codec.encode({ e: new Event(date) });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(AgentSocketError);
    expect(thrown).toMatchObject({ code: 'INVALID_FRAME', message: expect.stringMatching(/without a MessagePack extension type/) });
    expect(codec.decode(codec.encode({ m: new Map([['n', 1]]) }))).toEqual({ m: { n: 1 } });
  });

  it('rejects a timestamp of any other length, or with nanoseconds over 999,999,999', () => {
    for (const length of [0, 1, 2, 3, 5, 7, 9, 11, 13, 16]) {
      for (const ext of extensions(0xff, length)) expect(rejection(ext).message).toMatch(/timestamp .* has \d+ data bytes/);
    }
    const nanoseconds = [
      [0xd7, 0xff, 0xee, 0x6b, 0x28, 0x00, 0x00, 0x00, 0x00, 0x00], // 10^9 in the 64-bit form
      [0xc7, 0x0c, 0xff, 0x3b, 0x9a, 0xca, 0x00, 0, 0, 0, 0, 0, 0, 0, 0], // 10^9 in the 96-bit form
    ];
    for (const bytes of nanoseconds) expect(rejection(bytes).message).toContain('1000000000 nanoseconds');
  });

  it('rejects empty, truncated and trailing input', () => {
    expect(rejection([]).message).toBe('MessagePack input is empty');
    const payloads = [
      codec.encode({ id: '01JD8X5Q3C7T9V2N4M6P8R0S1W', tool: 'search', args: { q: 'ünïcode', n: -3, f: 1.5, big: 2 ** 40 }, dl: 2 }),
      codec.encode({ bin: new Uint8Array(300), s: 'x'.repeat(40), long: 'y'.repeat(70_000), list: new Array(20).fill(7) }),
      codec.encode({ at: new Date(0), keys: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, i * 1000])) }),
      Uint8Array.from([0xdd, 0, 0, 0, 2, 0xcf, 0, 0, 0, 1, 0, 0, 0, 0, 0xca, 0x3f, 0x80, 0, 0]),
    ];
    for (const full of payloads) {
      expect(codec.decode(full)).toBeDefined();
      const cuts = full.length < 400 ? Array.from({ length: full.length - 1 }, (_, i) => i + 1) : [1, 2, 3, 100, 350, full.length - 1];
      for (const cut of cuts) expect(rejection(full.subarray(0, cut)).message).toMatch(/truncated|is empty/);
      for (const extra of [[0x00], [0xc0], [0xc1], [0x81, 0xa1, 0x61, 0x01], [0xd4, 0x73, 0x00]]) {
        expect(rejection([...full, ...extra]).message).toContain(`${extra.length} byte(s) after its value`);
      }
    }
    // A length far past the input is truncation, not an allocation.
    for (const bytes of [[0xdd, 0xff, 0xff, 0xff, 0xff], [0xdf, 0xff, 0xff, 0xff, 0xff], [0xc6, 0xff, 0xff, 0xff, 0xff, 0x00], [0xdb, 0x7f, 0, 0, 0, 0x61]]) {
      expect(rejection(bytes).message).toContain('truncated');
    }
  });

  it('reports what msgpackr still refuses as INVALID_FRAME, with its message and the error as cause', () => {
    const bytes = Uint8Array.from([0x81, 0x91, 0x01, 0x02]); // an array as a map key
    let theirs: unknown;
    try {
      lenient.unpack(bytes);
    } catch (error) {
      theirs = error;
    }
    expect(theirs).toBeInstanceOf(Error);
    const ours = rejection(bytes);
    expect(ours.message).toContain((theirs as Error).message);
    expect(ours.cause).toBeInstanceOf(Error);
    expect((ours.cause as Error).message).toBe((theirs as Error).message);
  });
});
