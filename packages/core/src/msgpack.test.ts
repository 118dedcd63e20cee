import { isDeepStrictEqual } from 'node:util';
import { Decoder, decodeTimestampToTimeSpec, ExtensionCodec } from '@msgpack/msgpack';
import { describe, expect, it } from 'vitest';
import { msgpackCodec, msgpackrPlain } from './codec.js';
import { AgentSocketError } from './errors.js';
import { MsgpackReader } from './msgpack-decode.js';
import { MsgpackWriter } from './msgpack-encode.js';

// The writer and reader must be indistinguishable from msgpackr in the plain mode msgpackCodec()
// used before them: same bytes out, same values back. msgpackr is the oracle for bytes and values;
// for which input is rejected, a stock decoder held to docs/protocol.md §4 is.
const { packr, unpackr } = msgpackrPlain();

type Outcome = { ok: true; value: unknown } | { ok: false; type: string; message: string };

function outcome(run: () => unknown): Outcome {
  try {
    return { ok: true, value: run() };
  } catch (error) {
    return error instanceof Error ? { ok: false, type: error.name, message: error.message } : { ok: false, type: typeof error, message: String(error) };
  }
}

/** Extension types as docs/protocol.md §4 takes them: the standard timestamp (-1) and nothing else. */
class TimestampOnly extends ExtensionCodec {
  override decode(data: Uint8Array, type: number, context: undefined): unknown {
    if (type !== -1) throw new Error(`extension type ${type}`);
    if (decodeTimestampToTimeSpec(data).nsec > 999_999_999) throw new Error('timestamp nanoseconds out of range');
    return super.decode(data, type, context);
  }
}
// Rejects 0xc1, truncated and trailing bytes itself; takes any key, as msgpackr turns keys into strings.
const strictStock = new Decoder({ extensionCodec: new TimestampOnly(), mapKeyConverter: () => '' });

const PROTO = Buffer.from('__proto__');

/** What msgpackCodec().decode must do: msgpackr's value, if a strict stock decoder accepts the input. */
function referenceDecode(bytes: Uint8Array): unknown {
  // The stock decoder refuses a __proto__ key, which msgpackr renames. Its bytes are all positive
  // fixints, so changing the last one changes no structure wherever the sequence occurs.
  const copy = Buffer.from(bytes);
  for (let at = copy.indexOf(PROTO); at >= 0; at = copy.indexOf(PROTO, at + 1)) copy[at + 8] = 0x58;
  try {
    strictStock.decode(copy);
  } catch (error) {
    throw new AgentSocketError('INVALID_FRAME', 'a strict stock decoder rejects it', { cause: error });
  }
  try {
    return unpackr.unpack(bytes);
  } catch (error) {
    // msgpackr refuses some keys the stock decoder takes (an array, a map).
    throw new AgentSocketError('INVALID_FRAME', 'msgpackr rejects it', { cause: error });
  }
}

type DecodeOutcome = { ok: true; value: unknown } | { ok: false; type: string; code: string | undefined };

/** A decode outcome without the error message: ours are our own, the oracle's say whose rule failed. */
function decodeOutcome(run: () => unknown): DecodeOutcome {
  try {
    return { ok: true, value: run() };
  } catch (error) {
    return { ok: false, type: error instanceof Error ? error.name : typeof error, code: error instanceof AgentSocketError ? error.code : undefined };
  }
}

/** How many one-element arrays wrap the number 1 (`[[[1]]]` is 3), without recursion; -1 for anything else. */
function nestedDepth(value: unknown): number {
  let depth = 0;
  let v = value;
  while (Array.isArray(v)) {
    if (v.length !== 1) return -1;
    v = v[0];
    depth++;
  }
  return v === 1 ? depth : -1;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Where two byte strings part, with some context: whole payloads are too long to read. */
function firstDifference(a: Uint8Array, b: Uint8Array): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  if (i === a.length && i === b.length) return 'none';
  const at = Math.max(0, i - 16);
  return `at byte ${i} of ${a.length} / ${b.length}: ${hex(a.subarray(at, i + 16))} / ${hex(b.subarray(at, i + 16))}`;
}

/** Deterministic, so a failure names a seed that reproduces it. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const INT_EDGES = [
  0, 1, 31, 32, 63, 64, 127, 128, 255, 256, 65535, 65536, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 40,
  Number.MAX_SAFE_INTEGER, 2 ** 53 + 2, 2 ** 64, -1, -31, -32, -33, -127, -128, -129, -32767, -32768, -32769,
  -(2 ** 31), -(2 ** 31) - 1, -(2 ** 40), Number.MIN_SAFE_INTEGER,
];
const FLOATS = [0.5, -1.5, 0.1, 1e-7, 1e21, 1e300, -1e-300, 5e-324, Number.MAX_VALUE, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, Math.PI];

/** Every string in a value, map keys included. */
function texts(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(texts);
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return [];
  return Object.entries(value).flatMap(([k, v]) => [k, ...texts(v)]);
}

/** [1, <hole>, 3]: msgpackr writes the hole as nil. */
function holey(): unknown[] {
  const array = new Array<unknown>(3);
  array[0] = 1;
  array[2] = 3;
  return array;
}

class Random {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = prng(seed);
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    const i = this.int(items.length);
    if (i >= items.length) throw new Error('empty pick');
    return items[i] as T;
  }

  char(): string {
    switch (this.int(10)) {
      case 0:
        return String.fromCharCode(this.int(0x20)); // control characters, NUL included
      case 1:
        return String.fromCharCode(0x80 + this.int(0x780)); // 2-byte UTF-8
      case 2:
        return String.fromCharCode(0x800 + this.int(0xd000)); // 3-byte UTF-8
      case 3:
        return String.fromCodePoint(0x10000 + this.int(0xfffff)); // a surrogate pair, 4-byte UTF-8
      case 4:
        return this.pick(['\ud800', '\udbff', '\udc00', '\udfff', '\ufeff', '\ufffd', '\uffff']); // lone surrogates, BOM
      default:
        return String.fromCharCode(0x20 + this.int(0x5f));
    }
  }

  string(): string {
    const length = this.pick([0, 1, 2, 3, 4, 5, 8, 15, 16, 17, 26, 31, 32, 33, 40, 63, 64, 65, 85, 100, 255, 256, 300, 1000]);
    const ascii = this.int(3) > 0;
    let s = '';
    while (s.length < length) s += ascii ? String.fromCharCode(0x20 + this.int(0x5f)) : this.char();
    return s;
  }

  number(): number {
    switch (this.int(5)) {
      case 0:
        return this.pick(INT_EDGES);
      case 1:
        return this.pick(FLOATS);
      case 2:
        return this.int(200) - 100;
      case 3:
        return (this.next() - 0.5) * 10 ** this.int(20);
      default:
        return Math.floor((this.next() - 0.5) * 2 ** this.int(60));
    }
  }

  bytes(): Uint8Array {
    const length = this.pick([0, 1, 5, 255, 256, 1000]);
    const whole = new Uint8Array(length + 3).map(() => this.int(256));
    if (this.int(3) === 0) return Buffer.from(whole.subarray(1, 1 + length));
    return this.int(2) === 0 ? whole.subarray(2, 2 + length) : whole.slice(0, length);
  }

  key(): string {
    return this.int(4) === 0 ? this.pick(['__proto__', '0', '1', '10', '2', 'constructor', 'toString', '', 'é', 'id', 'args']) : this.string().slice(0, this.int(12));
  }

  /** A value of the shapes payloads carry; with `exotic`, also values msgpackr handles alone. */
  value(depth: number, exotic: boolean): unknown {
    const kinds = depth > 0 ? 12 : 8;
    const kind = this.int(exotic ? kinds + 1 : kinds);
    if (kind === kinds) return this.exotic(depth);
    switch (kind) {
      case 0:
      case 1:
        return this.string();
      case 2:
      case 3:
        return this.number();
      case 4:
        return this.pick([true, false, null, undefined]);
      case 5:
        return this.bytes();
      case 6:
        return this.string().slice(0, 20);
      case 7:
        return this.int(1000);
      case 8:
      case 9: {
        const record: Record<string, unknown> = {};
        const count = this.pick([0, 1, 2, 5, 15, 16, 17, 40]);
        for (let i = 0; i < count; i++) {
          // Own data properties even for '__proto__', as JSON.parse or a decoder makes them.
          Object.defineProperty(record, this.key(), { value: this.value(depth - 1, exotic), enumerable: true, writable: true, configurable: true });
        }
        return record;
      }
      default: {
        const length = this.pick([0, 1, 3, 15, 16, 17, 33]);
        return Array.from({ length }, () => this.value(depth - 1, exotic));
      }
    }
  }

  exotic(depth: number): unknown {
    class Point {
      constructor(
        readonly x: number,
        readonly y: unknown,
      ) {}
    }
    switch (this.int(12)) {
      case 0:
        return new Date(this.pick([0, 1_700_000_000_000, 1_700_000_000_123, -5_000, 2 ** 45]));
      case 1:
        return new Map<unknown, unknown>([
          ['a', 1],
          [2, this.value(depth - 1, false)],
        ]);
      case 2:
        return new Set([1, 'two']);
      case 3:
        return BigInt(this.pick([0, 1, -1, 2 ** 40])) * 1000n;
      case 4:
        return Object.assign(Object.create(null) as object, { a: 1, b: undefined, c: 'x' });
      case 5:
        return new Point(1, this.value(depth - 1, false));
      case 6:
        // Not Int16Array and kin: msgpackr copies their elements, not their bytes, into a bin of
        // byteLength bytes, so the rest of that bin is whatever its buffer held (both before and after).
        return new Float64Array([1.5, -2]).buffer;
      case 7:
        return () => 1;
      case 8:
        return { a: 1, toJSON: () => 'json' };
      case 9:
        return holey();
      case 10:
        return Object.assign([1, 2], { extra: 'dropped' });
      default:
        return new Uint8ClampedArray([1, 2]);
    }
  }
}

/** Encodings msgpackr never writes but a peer may: wider formats than needed, float 32, str 8/16/32 keys. */
function loose(value: unknown, r: Random): number[] {
  const out: number[] = [];
  const bigEndian = (n: number, bytes: number) => {
    for (let i = bytes - 1; i >= 0; i--) out.push(Math.floor(n / 2 ** (8 * i)) & 0xff);
  };
  /** A format byte, then `n` big-endian in `bytes` bytes. */
  const head = (format: number, n: number, bytes: number) => {
    out.push(format);
    bigEndian(n, bytes);
  };
  const str = (s: string) => {
    const b = [...Buffer.from(s)];
    const form = r.int(4);
    if (form === 0 && b.length < 32) out.push(0xa0 | b.length);
    else if (form <= 1 && b.length < 256) head(0xd9, b.length, 1);
    else if (form <= 2 && b.length < 65536) head(0xda, b.length, 2);
    else head(0xdb, b.length, 4);
    out.push(...b);
  };
  const length = (n: number, fix: number, b16: number, b32: number) => {
    const form = r.int(3);
    if (form === 0 && n < 16) out.push(fix | n);
    else if (form === 1 && n < 65536) head(b16, n, 2);
    else head(b32, n, 4);
  };
  if (value === null) out.push(0xc0);
  else if (typeof value === 'boolean') out.push(value ? 0xc3 : 0xc2);
  else if (typeof value === 'string') str(value);
  else if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0 && value < 2 ** 53) {
      const form = r.int(4);
      if (form === 0 && value < 256) head(0xcc, value, 1);
      else if (form === 1 && value < 65536) head(0xcd, value, 2);
      else if (form === 2 && value < 2 ** 32) head(0xce, value, 4);
      else head(0xcf, value, 8);
    } else if (Number.isInteger(value) && value < 0 && value >= -(2 ** 31)) {
      const form = r.int(4);
      if (form === 0 && value >= -128) head(0xd0, value + 2 ** 8, 1);
      else if (form === 1 && value >= -32768) head(0xd1, value + 2 ** 16, 2);
      else if (form === 2) head(0xd2, value + 2 ** 32, 4);
      else {
        // int 64 of a value that fits 32 bits: four 0xff bytes, then the low word.
        out.push(0xd3, 0xff, 0xff, 0xff, 0xff);
        bigEndian(value + 2 ** 32, 4);
      }
    } else if (Math.fround(value) === value || Number.isNaN(value)) {
      const b = Buffer.alloc(4);
      b.writeFloatBE(value);
      out.push(0xca, ...b);
    } else {
      const b = Buffer.alloc(8);
      b.writeDoubleBE(value);
      out.push(0xcb, ...b);
    }
  } else if (value instanceof Uint8Array) {
    const form = r.int(3);
    if (form === 0 && value.length < 256) head(0xc4, value.length, 1);
    else if (form === 1 && value.length < 65536) head(0xc5, value.length, 2);
    else head(0xc6, value.length, 4);
    out.push(...value);
  } else if (Array.isArray(value)) {
    length(value.length, 0x90, 0xdc, 0xdd);
    for (const item of value) out.push(...loose(item ?? null, r));
  } else if (typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    length(entries.length, 0x80, 0xde, 0xdf);
    for (const [k, v] of entries) {
      str(k);
      out.push(...loose(v, r));
    }
  } else out.push(0xc0);
  return out;
}

/**
 * The value msgpackr must write for our bytes to match: our codec sends a Date it reaches through
 * plain objects, arrays, Maps and Sets as its toJSON() (protocol.md §4: no extension types), where
 * msgpackr would write a timestamp extension.
 */
function datesAsJson(value: unknown): unknown {
  if (value instanceof Date) return value.toJSON();
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Map) {
    const entries = [...value].map(([k, v]) => [datesAsJson(k), datesAsJson(v)] as const);
    return entries.some(([k, v], i) => [...value][i]?.[0] !== k || [...value][i]?.[1] !== v) ? new Map(entries) : value;
  }
  if (value instanceof Set) {
    const items = [...value].map(datesAsJson);
    return items.some((v) => !value.has(v)) ? new Set(items) : value;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return value; // class instances as they are
  const copy: object = Array.isArray(value) ? Object.assign(new Array<unknown>(value.length), value) : {};
  let changed = false;
  for (const [k, v] of Object.entries(value)) {
    const w = datesAsJson(v);
    changed ||= w !== v;
    Object.defineProperty(copy, k, { value: w, enumerable: true, writable: true, configurable: true });
  }
  return changed ? copy : value;
}

function expectSameEncoding(codec: ReturnType<typeof msgpackCodec>, value: unknown, label: string): Uint8Array | undefined {
  const ours = outcome(() => codec.encode(value));
  const theirs = outcome(() => packr.pack(datesAsJson(value)));
  if (!ours.ok || !theirs.ok) {
    expect(ours, label).toEqual(theirs);
    return undefined;
  }
  const a = ours.value as Uint8Array;
  const b = theirs.value as Uint8Array;
  if (hex(a) !== hex(b)) expect(firstDifference(a, b), label).toBe('none');
  const framed = codec.encodeWithHeadroom?.(value, 8);
  expect(framed && hex(framed.subarray(8)), label).toBe(hex(b));
  return a;
}

function expectSameDecoding(codec: ReturnType<typeof msgpackCodec>, bytes: Uint8Array, label: string): void {
  const ours = decodeOutcome(() => codec.decode(bytes));
  const theirs = decodeOutcome(() => referenceDecode(bytes));
  if (!isDeepStrictEqual(ours, theirs)) expect(ours, `${label} ${hex(bytes)}`).toEqual(theirs);
}

describe('msgpack writer and reader against msgpackr', () => {
  it('write the same bytes and read back the same values over a randomized corpus of payload shapes', { timeout: 120_000 }, () => {
    const codec = msgpackCodec();
    for (let seed = 1; seed <= 1500; seed++) {
      const value = new Random(seed).value(4, false);
      const bytes = expectSameEncoding(codec, value, `seed ${seed}`);
      if (bytes) expectSameDecoding(codec, bytes, `seed ${seed}`);
    }
  });

  it('take payload shapes without msgpackr, save a "constructor" key and lone surrogates read back', () => {
    let writes = 0;
    let reads = 0;
    const writer = new MsgpackWriter((value, headroom) => {
      writes++;
      return packr.pack(value, headroom);
    });
    const reader = new MsgpackReader((bytes) => {
      reads++;
      return unpackr.unpack(bytes);
    });
    const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
    for (let seed = 1; seed <= 500; seed++) {
      const value = new Random(seed).value(4, false);
      const before = reads;
      const writesBefore = writes;
      const bytes = writer.encode(value);
      // An own "constructor" property hides Object, and msgpackr then tries extensions and toJSON first.
      if (writes > writesBefore) expect(texts(value)).toContain('constructor');
      expect(hex(bytes)).toBe(hex(packr.pack(value)));
      expect(isDeepStrictEqual(reader.decode(bytes), unpackr.unpack(bytes))).toBe(true);
      // Short strings with a lone surrogate are written in their 3-byte form, which is not UTF-8.
      if (reads > before) expect(texts(value).some((t) => loneSurrogate.test(t))).toBe(true);
    }
    expect(writes).toBeLessThan(150);
    expect(reads).toBeLessThan(200);
  });

  it('leave every other value to msgpackr: same bytes, same values, same errors', () => {
    const codec = msgpackCodec();
    for (let seed = 1; seed <= 800; seed++) {
      const r = new Random(seed * 7919);
      const value = r.int(2) === 0 ? r.exotic(2) : r.value(3, true);
      const bytes = expectSameEncoding(codec, value, `seed ${seed}`);
      if (bytes) expectSameDecoding(codec, bytes, `seed ${seed}`);
    }
    for (const value of [Symbol('s'), { s: Symbol('s') }, 2n ** 70n, { toJSON: () => ({ a: 1 }) }]) {
      expectSameEncoding(codec, value, String(typeof value));
    }
  });

  it('read encodings msgpackr never writes (wider formats, float 32, str 8/16/32 keys) as msgpackr does', () => {
    const codec = msgpackCodec();
    for (let seed = 1; seed <= 1000; seed++) {
      const r = new Random(seed * 31);
      const value = r.value(3, false);
      expectSameDecoding(codec, Uint8Array.from(loose(value, r)), `seed ${seed}`);
    }
  });

  it('reject or accept damaged input as the strict stock decoder, with msgpackr’s values: truncated, extended, mutated, random', () => {
    const codec = msgpackCodec();
    for (let seed = 1; seed <= 300; seed++) {
      const r = new Random(seed * 101);
      const good = packr.pack(r.value(3, seed % 5 === 0));
      const cuts = good.length < 200 ? Array.from({ length: good.length }, (_, i) => i) : [0, 1, 2, 50, good.length - 1];
      for (const cut of cuts) expectSameDecoding(codec, good.subarray(0, cut), `seed ${seed} cut ${cut}`);
      expectSameDecoding(codec, Buffer.concat([good, Buffer.from([r.int(256)])]), `seed ${seed} extra byte`);
      for (let m = 0; m < 10; m++) {
        const bad = Uint8Array.from(good);
        for (let k = 0; k <= r.int(3); k++) bad[r.int(bad.length)] = r.int(256);
        expectSameDecoding(codec, bad, `seed ${seed} mutation ${m}`);
      }
      const noise = new Uint8Array(r.int(40)).map(() => r.int(256));
      expectSameDecoding(codec, noise, `seed ${seed} noise`);
    }
  });

  it('rejects 0xc1, truncation, trailing bytes and unknown extensions', () => {
    const codec = msgpackCodec();
    const c1 = outcome(() => codec.decode(new Uint8Array([0xc1])));
    expect(c1).toEqual({ ok: false, type: 'AgentSocketError', message: 'MessagePack byte 0xc1 (at offset 0) is never used' });
    expect(() => codec.decode(new Uint8Array([0xc1]))).toThrow(AgentSocketError);
    for (const bytes of [[], [0x81], [0x82, 0xa1, 0x61, 0x01], [0xa3, 0x61], [0x01, 0x02], [0xd4, 0x10, 0x00], [0x81, 0x91, 0x01, 0x02], [0xcb, 0, 0], [0x91, 0xc1]]) {
      expect(() => codec.decode(Uint8Array.from(bytes)), hex(Uint8Array.from(bytes))).toThrow(AgentSocketError);
      expectSameDecoding(codec, Uint8Array.from(bytes), 'malformed');
    }
  });

  it('keeps msgpackr’s handling of invalid UTF-8, the BOM, __proto__ and non-string keys', () => {
    const codec = msgpackCodec();
    const cases = [
      [0xa2, 0xc3, 0x28], // invalid 2-byte sequence
      [0xa3, 0xed, 0xa0, 0x80], // an encoded surrogate
      [0xa4, 0xf8, 0x88, 0x80, 0x80],
      [0xa3, 0xef, 0xbb, 0xbf], // a lone BOM
      [0xa4, 0xef, 0xbb, 0xbf, 0x61],
      [0x81, 0xa9, ...Buffer.from('__proto__'), 0x01],
      [0x82, 0x01, 0x02, 0xc0, 0x03], // int and nil keys
      [0x81, 0xc3, 0x01],
      [0x81, 0x91, 0x01, 0x02],
    ];
    for (const bytes of cases) expectSameDecoding(codec, Uint8Array.from(bytes), 'case');
    expect(codec.decode(Uint8Array.from([0x81, 0xa9, ...Buffer.from('__proto__'), 0x01]))).toEqual({ __proto_: 1 });
  });

  it('drops undefined properties, writes undefined array elements and holes as nil', () => {
    const codec = msgpackCodec();
    expect(hex(codec.encode({ a: undefined, b: [undefined, 1], c: { d: undefined } }))).toBe('82a16292c001a16380');
    expect(hex(codec.encode(undefined))).toBe('c0');
  });

  it('switches to map 16 and map 32 headers when an object has 16 or 65536 keys', () => {
    const codec = msgpackCodec();
    for (const count of [15, 16, 65535, 65536]) {
      const record: Record<string, unknown> = { skipped: undefined };
      for (let i = 0; i < count; i++) record[`k${i}`] = i % 3 === 0 ? undefined : i;
      expectSameEncoding(codec, record, `${count} keys`);
      expectSameDecoding(codec, packr.pack(record), `${count} keys`);
    }
  });

  it('writes long strings and big binaries that outgrow a slab, and never reuses bytes already returned', () => {
    const codec = msgpackCodec();
    const values: unknown[] = [];
    const encoded: Uint8Array[] = [];
    const r = new Random(99);
    for (let i = 0; i < 3000; i++) {
      const value = i % 500 === 7 ? { big: 'x'.repeat(70_000 + i), bin: new Uint8Array(20_000 + i) } : r.value(2, false);
      values.push(value);
      encoded.push(codec.encodeWithHeadroom?.(value, 8) ?? new Uint8Array(0));
    }
    for (let i = 0; i < values.length; i++) expect(hex(encoded[i]?.subarray(8) ?? new Uint8Array(0)), `value ${i}`).toBe(hex(packr.pack(values[i])));
  });

  it('survives re-entrant use from a getter and a prototype setter', () => {
    const codec = msgpackCodec();
    const inner = { n: 1 };
    const outer = {
      get nested() {
        return codec.encode(inner);
      },
    };
    expect(hex(codec.encode(outer))).toBe(hex(packr.pack({ nested: packr.pack(inner) })));
    const seen: unknown[] = [];
    Object.defineProperty(Object.prototype, 'zzReentrant', {
      configurable: true,
      set(v: unknown) {
        seen.push(codec.decode(codec.encode({ v })));
      },
    });
    try {
      expect(codec.decode(packr.pack({ a: 1, zzReentrant: 'x', b: 2 }))).toEqual({ a: 1, b: 2 });
      expect(seen).toEqual([{ v: 'x' }]);
    } finally {
      Reflect.deleteProperty(Object.prototype, 'zzReentrant');
    }
  });

  it('behaves like msgpackr on cycles and on very deep nesting', () => {
    const codec = msgpackCodec();
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic['self'] = cyclic;
    expect(outcome(() => codec.encode(cyclic))).toMatchObject({ ok: false, type: 'RangeError' });
    // Nesting msgpackr manages is written and read the same; deeper, where msgpackr runs out of
    // stack, ours may still manage (its frames are smaller), and then the bytes are still right.
    for (const depth of [500, 5000, 50_000]) {
      let deep: unknown = 1;
      for (let i = 0; i < depth; i++) deep = [deep];
      const bytes = new Uint8Array(depth + 1).fill(0x91);
      bytes[depth] = 1;
      // Each side tried once: how deep a recursion gets depends on the stack already in use, so a
      // second try from another call depth may end otherwise.
      const theirs = outcome(() => packr.pack(deep));
      const ours = outcome(() => codec.encode(deep));
      if (theirs.ok) expect(hex(theirs.value as Uint8Array), `depth ${depth}`).toBe(hex(bytes));
      if (ours.ok) expect(hex(ours.value as Uint8Array), `depth ${depth}`).toBe(hex(bytes));
      // Ours fails only where msgpackr does too, and the same way.
      else expect({ ours: ours.type, theirs: theirs.ok ? 'ok' : theirs.type }, `depth ${depth}`).toEqual({ ours: 'RangeError', theirs: 'RangeError' });
      // Decoding refuses anything nested deeper than 64 (payload-limits.ts), before it runs out of stack.
      const mine = decodeOutcome(() => codec.decode(bytes));
      expect(mine, `depth ${depth}`).toMatchObject({ ok: false, type: 'AgentSocketError', code: 'INVALID_FRAME' });
    }
    // 64 levels decode, as msgpackr decodes them (compared without recursion); 65 do not.
    for (const depth of [64, 65]) {
      const bytes = new Uint8Array(depth + 1).fill(0x91);
      bytes[depth] = 1;
      const decoded = outcome(() => referenceDecode(bytes));
      const mine = decodeOutcome(() => codec.decode(bytes));
      expect(decoded.ok && nestedDepth(decoded.value)).toBe(depth);
      if (depth === 64) expect(mine.ok && nestedDepth(mine.value)).toBe(64);
      else expect(mine).toMatchObject({ ok: false, type: 'AgentSocketError', code: 'INVALID_FRAME' });
    }
  });
});
