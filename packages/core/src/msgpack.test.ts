import { isDeepStrictEqual } from 'node:util';
import { Decoder, ExtensionCodec } from '@msgpack/msgpack';
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { msgpackCodec } from './codec.js';
import { AgentSocketError } from './errors.js';
import { MAX_PAYLOAD_DEPTH } from './payload-limits.js';

// Core's encoder and decoder are held to two independent references. Bytes: msgpackr in plain
// mode (what core's codec used to be) writes the same bytes for the value protocol.md §4 says the
// encoder sends (dates as strings, lone surrogates as U+FFFD, a Map's keys as strings...). Which
// input is accepted, and the value it gives: @msgpack/msgpack held to §4 (no extension type, string
// keys only, strings valid UTF-8).
const packr = new Packr({
  useRecords: false,
  moreTypes: false,
  structuredClone: false,
  bundleStrings: false,
  encodeUndefinedAsNil: true,
  skipValues: [undefined],
  int64AsType: 'number',
} as ConstructorParameters<typeof Packr>[0]);

type Outcome = { ok: true; value: unknown } | { ok: false; type: string; message: string };

function outcome(run: () => unknown): Outcome {
  try {
    return { ok: true, value: run() };
  } catch (error) {
    return error instanceof Error ? { ok: false, type: error.name, message: error.message } : { ok: false, type: typeof error, message: String(error) };
  }
}

/** §4: no extension type at all, the timestamp (-1) included. */
class NoExtensions extends ExtensionCodec {
  override decode(_data: Uint8Array, type: number): unknown {
    throw new Error(`extension type ${type}`);
  }
}
const fatalUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
/** Map keys decoded strictly, so invalid UTF-8 in a key is refused. */
const strictKeys = {
  canBeCached: () => true,
  decode: (bytes: Uint8Array, offset: number, length: number) => fatalUtf8.decode(bytes.subarray(offset, offset + length)),
} as unknown as ConstructorParameters<typeof Decoder>[0] extends infer O ? (O extends { keyDecoder?: infer K } ? K : never) : never;
const strictStock = new Decoder({
  extensionCodec: new NoExtensions(),
  keyDecoder: strictKeys,
  mapKeyConverter: (key) => {
    if (typeof key !== 'string') throw new Error(`a ${typeof key} key`);
    return key;
  },
});
/** The same, with string values as their bytes, to check they are UTF-8. */
const rawStock = new Decoder({ extensionCodec: new NoExtensions(), keyDecoder: strictKeys, rawStrings: true, mapKeyConverter: (key) => key as string });

/** A key no test value uses, standing for __proto__, which the stock decoder refuses. */
const PROTO = Buffer.from('__proto__');
const PROTO_STANDIN = '__proto_X';

/** `cooked` (strings) and `raw` (their bytes) decoded from the same input, as one value: strings checked. */
function strictStrings(cooked: unknown, raw: unknown): unknown {
  if (typeof cooked === 'string') return fatalUtf8.decode(raw as Uint8Array);
  if (cooked instanceof Uint8Array) return Uint8Array.from(cooked);
  if (Array.isArray(cooked)) return cooked.map((v, i) => strictStrings(v, (raw as unknown[])[i]));
  if (cooked === null || typeof cooked !== 'object') return cooked;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(cooked)) {
    const key = k === PROTO_STANDIN ? '__proto__' : k;
    Object.defineProperty(out, key, { value: strictStrings(v, (raw as Record<string, unknown>)[k]), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** What msgpackCodec().decode must give for `bytes`, or an INVALID_FRAME error. */
function referenceDecode(bytes: Uint8Array): unknown {
  // The stock decoder refuses a __proto__ key. Its bytes are all positive fixints, so changing the
  // last one changes no structure wherever the sequence occurs.
  const copy = Buffer.from(bytes);
  for (let at = copy.indexOf(PROTO); at >= 0; at = copy.indexOf(PROTO, at + 1)) copy[at + 8] = 0x58;
  try {
    return strictStrings(strictStock.decode(copy), rawStock.decode(copy));
  } catch (error) {
    throw new AgentSocketError('INVALID_FRAME', 'a strict stock decoder rejects it', { cause: error });
  }
}

/** Byte arrays as plain Uint8Array copies (ours are views of the input, Buffers if it is one). */
function plainBytes(value: unknown): unknown {
  if (value instanceof Uint8Array) return Uint8Array.from(value);
  if (Array.isArray(value)) return value.map(plainBytes);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) Object.defineProperty(out, k, { value: plainBytes(v), enumerable: true, writable: true, configurable: true });
  return out;
}

type DecodeOutcome = { ok: true; value: unknown } | { ok: false; type: string; code: string | undefined };

/** A decode outcome without the error message: ours are our own, the oracle's say whose rule failed. */
function decodeOutcome(run: () => unknown): DecodeOutcome {
  try {
    return { ok: true, value: plainBytes(run()) };
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

  /** Well-formed: two keys the encoder writes the same (lone surrogates as U+FFFD) would be one key of `sent()`'s Map. */
  key(): string {
    return this.int(4) === 0 ? this.pick(['__proto__', '0', '1', '10', '2', 'constructor', 'toString', '', 'é', 'id', 'args']) : wellFormed(this.string().slice(0, this.int(12)));
  }

  /** A value of the shapes payloads carry; with `exotic`, also values the encoder converts (§4). */
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
        return this.int(2) === 0 ? new Float64Array([1.5, -2]).buffer : new Int16Array([1, -2, 300]);
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

/** `text` with every lone surrogate replaced by U+FFFD. */
function wellFormed(text: string): string {
  return text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

/**
 * The value protocol.md §4 says the encoder sends for `value`, as plain data msgpackr writes the
 * same way: dates as their toJSON(), lone surrogates as U+FFFD, byte arrays and ArrayBuffers as
 * their bytes, a Map as a Map with string keys, a Set as an array, toJSON() results, any other
 * object as its own enumerable properties; undefined, functions and symbols left out of maps.
 */
function sent(value: unknown, callToJSON = true): unknown {
  if (typeof value === 'string') return wellFormed(value);
  if (typeof value === 'function' || typeof value === 'symbol') return undefined;
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Uint8Array) return Uint8Array.from(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength));
  if (value instanceof ArrayBuffer) return new Uint8Array(value.slice(0));
  if (value instanceof Date) return value.toJSON();
  if (Array.isArray(value)) return Array.from(value, (v) => sent(v) ?? null);
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (callToJSON && typeof toJSON === 'function') return sent(toJSON.call(value), false);
  if (value instanceof Set) return [...value].map((v) => sent(v) ?? null);
  const entries: Array<[string, unknown]> = value instanceof Map ? [...value].map(([k, v]) => [String(k), v]) : Object.keys(value).map((k) => [k, (value as Record<string, unknown>)[k]]);
  const out = new Map<string, unknown>();
  for (const [k, v] of entries) {
    const w = sent(v);
    if (w !== undefined) out.set(wellFormed(k), w);
  }
  return out;
}

function expectSameEncoding(codec: ReturnType<typeof msgpackCodec>, value: unknown, label: string): Uint8Array | undefined {
  const ours = outcome(() => codec.encode(value));
  const theirs = outcome(() => packr.pack(sent(value)));
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

/** The INVALID_FRAME message decoding `bytes` gives, or 'decoded'. */
function decodeError(bytes: number[]): string {
  try {
    msgpackCodec().decode(Uint8Array.from(bytes));
    return 'decoded';
  } catch (error) {
    expect(error).toBeInstanceOf(AgentSocketError);
    expect(error).toMatchObject({ code: 'INVALID_FRAME' });
    return (error as Error).message;
  }
}

describe('msgpack encoder and decoder against msgpackr (bytes) and a strict stock decoder (acceptance, values)', () => {
  it('write the same bytes and read back the same values over a randomized corpus of payload shapes', { timeout: 120_000 }, () => {
    const codec = msgpackCodec();
    for (let seed = 1; seed <= 1500; seed++) {
      const value = new Random(seed).value(4, false);
      const bytes = expectSameEncoding(codec, value, `seed ${seed}`);
      if (bytes) expectSameDecoding(codec, bytes, `seed ${seed}`);
    }
  });

  it('write every other value as §4 says (dates, Maps, Sets, class instances, bigints, typed arrays, toJSON)', () => {
    const codec = msgpackCodec();
    for (let seed = 1; seed <= 800; seed++) {
      const r = new Random(seed * 7919);
      const value = r.int(2) === 0 ? r.exotic(2) : r.value(3, true);
      const bytes = expectSameEncoding(codec, value, `seed ${seed}`);
      if (bytes) expectSameDecoding(codec, bytes, `seed ${seed}`);
    }
    const hexOf = (value: unknown) => hex(codec.encode(value));
    expect(hexOf(new Date(1_700_000_000_123))).toBe(hex(Buffer.from([0xb8, ...Buffer.from('2023-11-14T22:13:20.123Z')])));
    expect(hexOf({ d: new Date(Number.NaN) })).toBe('81a164c0');
    expect(hexOf(new Map<unknown, unknown>([['a', 1], [2, 'b']]))).toBe('82a16101a132a162');
    expect(hexOf(new Set([1, 'x']))).toBe('9201a178');
    expect(hexOf(5n)).toBe('d30000000000000005');
    expect(hexOf(-1n)).toBe('d3ffffffffffffffff');
    expect(hexOf(2n ** 64n - 1n)).toBe('cfffffffffffffffff');
    expect(hexOf(new Uint16Array([1, 2]))).toBe('c40401000200');
    expect(hexOf({ f: () => 1, s: Symbol('s'), u: undefined, a: [() => 1, undefined] })).toBe('81a16192c0c0');
    expect(hexOf({ toJSON: () => ({ a: new Date(0) }) })).toBe(hexOf({ a: '1970-01-01T00:00:00.000Z' }));
    expect(hexOf(new Error('boom'))).toBe('80');
    expect(hexOf('\ud800x')).toBe('a4efbfbd78');
    expect(outcome(() => codec.encode(2n ** 64n))).toMatchObject({ ok: false, type: 'AgentSocketError', message: expect.stringMatching(/^cannot send this value, a peer would refuse it \(protocol\.md §4\): the bigint 18446744073709551616 does not fit/) });
    // A Date inside a class instance goes as its string too: nothing needs an extension type.
    class Event {
      at = new Date(0);
    }
    expect(hexOf(new Event())).toBe(hexOf({ at: '1970-01-01T00:00:00.000Z' }));
  });

  it('read encodings msgpackr never writes (wider formats, float 32, str 8/16/32 keys) as the stock decoder does', () => {
    const codec = msgpackCodec();
    for (let seed = 1; seed <= 1000; seed++) {
      const r = new Random(seed * 31);
      const value = r.value(3, false);
      expectSameDecoding(codec, Uint8Array.from(loose(sent(value) as never, r)), `seed ${seed}`);
    }
  });

  it('reject or accept damaged input as the strict stock decoder: truncated, extended, mutated, random', { timeout: 120_000 }, () => {
    const codec = msgpackCodec();
    for (let seed = 1; seed <= 300; seed++) {
      const r = new Random(seed * 101);
      const good = packr.pack(sent(r.value(3, seed % 5 === 0)));
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

  it('rejects with the documented INVALID_FRAME messages: empty, truncated, trailing, 0xc1, extension types, keys, UTF-8', () => {
    expect(decodeError([])).toBe('MessagePack input is empty');
    for (const bytes of [[0x81], [0x82, 0xa1, 0x61, 0x01], [0xa3, 0x61], [0xcb, 0, 0], [0xdc, 0x00], [0xc7, 0x01]]) {
      expect(decodeError(bytes)).toBe(`MessagePack input is truncated: its ${bytes.length} byte(s) end inside a value`);
    }
    expect(decodeError([0x01, 0x02])).toBe('MessagePack input has 1 byte(s) after its value (at offset 1)');
    expect(decodeError([0xc1])).toBe('MessagePack byte 0xc1 (at offset 0) is never used');
    expect(decodeError([0x92, 0x01, 0xc1])).toBe('MessagePack byte 0xc1 (at offset 2) is never used');
    // Every extension format, the standard timestamp (-1) included, top level and nested.
    const ext: Array<[number[], number]> = [
      [[0xd4, 0x01, 0x2a], 1],
      [[0xd5, 0x73, 0, 0], 115],
      [[0xd6, 0xff, 0, 0, 0, 1], -1],
      [[0xd7, 0xff, 0, 0, 0, 0, 0, 0, 0, 1], -1],
      [[0xd8, 0x80, ...new Array<number>(16).fill(0)], -128],
      [[0xc7, 0x01, 0x05, 0x00], 5],
      [[0xc8, 0x00, 0x01, 0x06, 0x00], 6],
      [[0xc9, 0x00, 0x00, 0x00, 0x0c, 0xff, ...new Array<number>(12).fill(0)], -1],
    ];
    for (const [bytes, type] of ext) {
      expect(decodeError(bytes)).toBe(`MessagePack extension type ${type} (at offset 0) is not accepted`);
      expect(decodeError([0x81, 0xa1, 0x76, ...bytes])).toBe(`MessagePack extension type ${type} (at offset 3) is not accepted`);
    }
    expect(decodeError([0x82, 0xa1, 0x61, 0x01, 0x02, 0x03])).toBe('MessagePack map key (at offset 4) is not a string (byte 0x02)');
    for (const key of [[0xc0], [0xc3], [0xcb, 0, 0, 0, 0, 0, 0, 0, 0], [0xc4, 0x01, 0x61], [0x90], [0x80]]) {
      expect(decodeError([0x81, ...key, 0x01])).toMatch(/^MessagePack map key \(at offset 1\) is not a string/);
    }
    for (const str of [[0xa2, 0xc3, 0x28], [0xa3, 0xed, 0xa0, 0x80], [0xa4, 0xf8, 0x88, 0x80, 0x80], [0xa2, 0xc0, 0x80]]) {
      expect(decodeError([0x91, ...str])).toBe('MessagePack string (at offset 2) is not valid UTF-8');
      expect(decodeError([0x81, ...str, 0x01])).toBe('MessagePack string (at offset 2) is not valid UTF-8');
    }
    expect(() => msgpackCodec().decode('x' as unknown as Uint8Array)).toThrow('MessagePack input is not a byte array');
  });

  it('keeps a BOM, makes __proto__ an own property, lets the last of repeated keys win, reads 64-bit integers as numbers', () => {
    const codec = msgpackCodec();
    expect(codec.decode(Uint8Array.from([0xa4, 0xef, 0xbb, 0xbf, 0x61]))).toBe('\ufeffa');
    const proto = codec.decode(Uint8Array.from([0x81, 0xa9, ...PROTO, 0x81, 0xa1, 0x78, 0x01])) as Record<string, unknown>;
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
    expect(Object.keys(proto)).toEqual(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(proto, '__proto__')?.value).toEqual({ x: 1 });
    expect(codec.decode(Uint8Array.from([0x82, 0xa1, 0x61, 0x01, 0xa1, 0x61, 0x02]))).toEqual({ a: 2 });
    expect(codec.decode(Uint8Array.from([0xcf, 0, 0x20, 0, 0, 0, 0, 0, 1]))).toBe(2 ** 53); // 2^53 + 1, as the nearest float 64
    expect(codec.decode(Uint8Array.from([0xd3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe]))).toBe(-2);
    expect(codec.decode(Uint8Array.from([0xca, 0x3f, 0xc0, 0, 0]))).toBe(1.5);
  });

  it('drops undefined properties, writes undefined array elements and holes as nil', () => {
    const codec = msgpackCodec();
    expect(hex(codec.encode({ a: undefined, b: [undefined, 1], c: { d: undefined } }))).toBe('82a16292c001a16380');
    expect(hex(codec.encode(undefined))).toBe('c0');
    expect(hex(codec.encode(holey()))).toBe('9301c003');
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
    for (let i = 0; i < values.length; i++) expect(hex(encoded[i]?.subarray(8) ?? new Uint8Array(0)), `value ${i}`).toBe(hex(packr.pack(sent(values[i]))));
  });

  it('survives re-entrant use from a getter, a toJSON and a prototype setter', () => {
    const codec = msgpackCodec();
    const inner = { n: 1 };
    const outer = {
      get nested() {
        return codec.encode(inner);
      },
      later: { toJSON: () => codec.decode(codec.encode({ again: [1, 2] })) },
    };
    expect(hex(codec.encode(outer))).toBe(hex(packr.pack({ nested: packr.pack(inner), later: { again: [1, 2] } })));
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

  it('refuses to write what a peer would refuse (a cycle, more than 64 levels), and reads 64 levels but not 65', () => {
    const codec = msgpackCodec();
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic['self'] = cyclic;
    const refused = `cannot send this value, a peer would refuse it (protocol.md §4): payload nests arrays and maps deeper than ${MAX_PAYLOAD_DEPTH} levels`;
    expect(outcome(() => codec.encode(cyclic))).toEqual({ ok: false, type: 'AgentSocketError', message: refused });
    for (const depth of [64, 65, 50_000]) {
      let deep: unknown = 1;
      for (let i = 0; i < depth; i++) deep = [deep];
      const bytes = new Uint8Array(depth + 1).fill(0x91);
      bytes[depth] = 1;
      const written = outcome(() => codec.encode(deep));
      const read = decodeOutcome(() => codec.decode(bytes));
      if (depth <= MAX_PAYLOAD_DEPTH) {
        expect(written.ok && hex(written.value as Uint8Array)).toBe(hex(bytes));
        expect(read.ok && nestedDepth(read.value)).toBe(depth);
      } else {
        expect(written).toEqual({ ok: false, type: 'AgentSocketError', message: refused });
        expect(read).toMatchObject({ ok: false, type: 'AgentSocketError', code: 'INVALID_FRAME' });
      }
    }
    // After a refusal the writer is whole again.
    expect(hex(codec.encode({ a: 1 }))).toBe('81a16101');
  });
});
