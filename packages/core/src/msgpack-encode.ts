/**
 * The MessagePack encoder of the msgpack codec (docs/protocol.md §4 and §4.1). It writes standard
 * MessagePack and never an extension type: a Date goes as its ISO string, as JSON.stringify sends
 * it; a bigint as an int 64; a Map as a map with string keys; a Set as an array; byte arrays and
 * ArrayBuffers as bin; any other object as the map of its own enumerable properties (or what its
 * toJSON() returns). It refuses, with AgentSocketError INVALID_FRAME and nothing written, a value
 * a peer would refuse: nested deeper than 64 levels (a cycle included), or past the other shape
 * limits of payload-limits.ts. Fast on small envelopes: no per-value option checks, no per-call
 * setup, undefined properties dropped with one comparison.
 */
import { AgentSocketError } from './errors.js';
import { MAX_PAYLOAD_CONTAINERS, MAX_PAYLOAD_DEPTH, MAX_PAYLOAD_VALUES, tooDeep, tooManyContainers, tooManyValues } from './payload-limits.js';

/** Output is written into slabs of this size and returned as views. */
const SLAB_SIZE = 8192;
/** A new encode starts on a fresh slab when less than this is left in the current one. */
const MIN_FREE = 2048;
/** Strings this long and longer go through TextEncoder; shorter ones are written in the loop. */
const LONG_STRING = 64;

const hasBuffer = typeof Buffer === 'function';
// Node: Buffers, so callers can use Buffer methods on what they get, as they always could.
const allocSlab = hasBuffer ? (size: number): Uint8Array => Buffer.allocUnsafeSlow(size) : (size: number) => new Uint8Array(size);
const objectHasOwnProperty = Object.prototype.hasOwnProperty;
const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;

export class MsgpackWriter {
  #buf: Uint8Array;
  #pos = 0;
  #start = 0;
  /** Last index at which a value of at most 9 bytes (header + number) can be written unchecked. */
  #safeEnd: number;
  #busy = false;
  /** Shape of the value so far, held to the limits a decoder applies (payload-limits.ts). */
  #depth = 0;
  #values = 0;
  #containers = 0;
  /** A float 64 is written here through the view, in wire (big-endian) order, then copied. */
  readonly #floatBytes = new Uint8Array(8);
  readonly #floatView = new DataView(this.#floatBytes.buffer);
  readonly #textEncoder = new TextEncoder();

  constructor() {
    this.#buf = allocSlab(SLAB_SIZE);
    this.#safeEnd = this.#buf.length - 10;
  }

  /** encode(value) preceded by `headroom` (< 256) unset bytes. */
  encode(value: unknown, headroom = 0): Uint8Array {
    // A getter or toJSON that encodes again while we write: a writer of its own.
    if (this.#busy) return new MsgpackWriter().encode(value, headroom);
    if (this.#buf.length - this.#pos < MIN_FREE) {
      this.#buf = allocSlab(SLAB_SIZE);
      this.#safeEnd = this.#buf.length - 10;
      this.#pos = 0;
    } else {
      this.#pos = (this.#pos + 7) & ~7; // word-aligned starts
    }
    const start = this.#pos;
    this.#start = start;
    this.#pos = start + headroom;
    this.#busy = true;
    this.#depth = 0;
    this.#values = 1;
    this.#containers = 0;
    try {
      this.#write(value);
    } catch (error) {
      this.#pos = this.#start;
      if (error instanceof AgentSocketError) {
        throw new AgentSocketError('INVALID_FRAME', `cannot send this value, a peer would refuse it (protocol.md §4): ${error.message}`, { cause: error });
      }
      throw error; // a getter's or toJSON's own error
    } finally {
      this.#busy = false;
    }
    return this.#buf.subarray(this.#start, this.#pos);
  }

  #write(value: unknown): void {
    if (this.#pos > this.#safeEnd) this.#grow(10);
    switch (typeof value) {
      case 'string':
        this.#writeString(value);
        return;
      case 'number':
        this.#writeNumber(value);
        return;
      case 'boolean':
        this.#buf[this.#pos++] = value ? 0xc3 : 0xc2;
        return;
      case 'object':
        if (value === null) {
          this.#buf[this.#pos++] = 0xc0;
        } else if (value.constructor === Object) {
          if ((value as { toJSON?: unknown }).toJSON === undefined) this.#writeObject(value);
          else this.#writeOther(value, true);
        } else if (Array.isArray(value)) {
          this.#writeArray(value);
        } else {
          this.#writeOther(value, true);
        }
        return;
      case 'bigint':
        this.#writeBigInt(value);
        return;
      default:
        // undefined, a function, a symbol: nil here; left out of a map (writeObject).
        this.#buf[this.#pos++] = 0xc0;
    }
  }

  /** An object that is neither a plain object nor an array. */
  #writeOther(value: object, toJSON: boolean): void {
    if (value instanceof Uint8Array) {
      this.#writeBin(value);
    } else if (ArrayBuffer.isView(value)) {
      this.#writeBin(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
    } else if (value instanceof ArrayBuffer) {
      this.#writeBin(new Uint8Array(value));
    } else if (value instanceof Date) {
      // No extension types on the wire (protocol.md §4): a date goes as JSON.stringify sends it.
      const text: unknown = value.toJSON();
      if (typeof text === 'string') this.#writeString(text);
      else this.#buf[this.#pos++] = 0xc0;
    } else if (toJSON && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
      // As JSON.stringify: the result is written, and its own toJSON is not called again.
      const json: unknown = (value as { toJSON: () => unknown }).toJSON();
      if (typeof json === 'object' && json !== null && json.constructor !== Object && !Array.isArray(json)) this.#writeOther(json, false);
      else this.#write(json);
    } else if (value instanceof Map) {
      this.#writeEntries(value.entries());
    } else if (value instanceof Set) {
      this.#writeArray([...value]);
    } else {
      // A class instance, an object without a prototype, an Error...: its own enumerable properties.
      this.#writeObject(value);
    }
  }

  #writeBigInt(value: bigint): void {
    if (value < INT64_MIN || value > UINT64_MAX) {
      throw new AgentSocketError('INVALID_FRAME', `the bigint ${value} does not fit a MessagePack int 64 or uint 64`);
    }
    const unsigned = value < 0n ? value + 2n ** 64n : value;
    this.#buf[this.#pos++] = value < 2n ** 63n ? 0xd3 : 0xcf;
    this.#writeUint32At(this.#pos, Number(unsigned >> 32n));
    this.#writeUint32At(this.#pos + 4, Number(unsigned & 0xffffffffn));
    this.#pos += 8;
  }

  /** A container begins: counted against the limits a decoder applies. */
  #enter(values: number): void {
    this.#values += values;
    if (++this.#depth > MAX_PAYLOAD_DEPTH) throw tooDeep();
    if (++this.#containers > MAX_PAYLOAD_CONTAINERS) throw tooManyContainers();
    if (this.#values > MAX_PAYLOAD_VALUES) throw tooManyValues();
  }

  #writeObject(object: object): void {
    this.#enter(0);
    const record = object as Record<string, unknown>;
    // Written as a fixmap; moved to make room for a map 16/32 header once the count is known.
    // Kept relative to start: the value may move to a bigger slab meanwhile.
    const headerOffset = this.#pos++ - this.#start;
    let count = 0;
    for (const key in record) {
      if (!objectHasOwnProperty.call(record, key)) continue;
      const v = record[key];
      // Left out, as JSON.stringify leaves them out.
      if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
      this.#writeString(key);
      this.#write(v);
      count++;
    }
    this.#closeMap(headerOffset, count);
  }

  /** A Map's entries, keys written as String(key). */
  #writeEntries(entries: Iterable<[unknown, unknown]>): void {
    this.#enter(0);
    const headerOffset = this.#pos++ - this.#start;
    let count = 0;
    for (const [key, v] of entries) {
      if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
      this.#writeString(typeof key === 'string' ? key : String(key));
      this.#write(v);
      count++;
    }
    this.#closeMap(headerOffset, count);
  }

  /** Writes the header of a map of `count` entries, whose entries are already written after it. */
  #closeMap(headerOffset: number, count: number): void {
    this.#depth--;
    this.#values += 2 * count;
    if (this.#values > MAX_PAYLOAD_VALUES) throw tooManyValues();
    if (count < 0x10) {
      this.#buf[this.#start + headerOffset] = 0x80 | count;
    } else {
      const extra = count < 0x10000 ? 2 : 4;
      this.#ensure(extra);
      const h = this.#start + headerOffset;
      this.#buf.copyWithin(h + 1 + extra, h + 1, this.#pos);
      this.#pos += extra;
      if (extra === 2) {
        this.#buf[h] = 0xde;
        this.#buf[h + 1] = count >> 8;
        this.#buf[h + 2] = count & 0xff;
      } else {
        this.#buf[h] = 0xdf;
        this.#writeUint32At(h + 1, count);
      }
    }
  }

  #writeArray(array: unknown[]): void {
    const length = array.length;
    this.#enter(length);
    if (length < 0x10) {
      this.#buf[this.#pos++] = 0x90 | length;
    } else if (length < 0x10000) {
      this.#buf[this.#pos++] = 0xdc;
      this.#buf[this.#pos++] = length >> 8;
      this.#buf[this.#pos++] = length & 0xff;
    } else {
      this.#buf[this.#pos++] = 0xdd;
      this.#writeUint32At(this.#pos, length);
      this.#pos += 4;
    }
    for (let i = 0; i < length; i++) this.#write(array[i]);
    this.#depth--;
  }

  #writeBin(bytes: Uint8Array): void {
    const length = bytes.byteLength;
    this.#ensure(length + 5);
    if (length < 0x100) {
      this.#buf[this.#pos++] = 0xc4;
      this.#buf[this.#pos++] = length;
    } else if (length < 0x10000) {
      this.#buf[this.#pos++] = 0xc5;
      this.#buf[this.#pos++] = length >> 8;
      this.#buf[this.#pos++] = length & 0xff;
    } else {
      this.#buf[this.#pos++] = 0xc6;
      this.#writeUint32At(this.#pos, length);
      this.#pos += 4;
    }
    this.#buf.set(bytes, this.#pos);
    this.#pos += length;
  }

  #writeNumber(value: number): void {
    const buf = this.#buf;
    if (value >>> 0 === value) {
      if (value < 0x80) {
        buf[this.#pos++] = value;
      } else if (value < 0x100) {
        buf[this.#pos++] = 0xcc;
        buf[this.#pos++] = value;
      } else if (value < 0x10000) {
        buf[this.#pos++] = 0xcd;
        buf[this.#pos++] = value >> 8;
        buf[this.#pos++] = value & 0xff;
      } else {
        buf[this.#pos++] = 0xce;
        this.#writeUint32At(this.#pos, value);
        this.#pos += 4;
      }
    } else if (value >> 0 === value) {
      if (value >= -0x20) {
        buf[this.#pos++] = 0x100 + value;
      } else if (value >= -0x80) {
        buf[this.#pos++] = 0xd0;
        buf[this.#pos++] = value + 0x100;
      } else if (value >= -0x8000) {
        buf[this.#pos++] = 0xd1;
        buf[this.#pos++] = (value >> 8) & 0xff;
        buf[this.#pos++] = value & 0xff;
      } else {
        buf[this.#pos++] = 0xd2;
        this.#writeUint32At(this.#pos, value >>> 0);
        this.#pos += 4;
      }
    } else {
      // Every other number, -0 excepted (written 0 above, as JSON.stringify does), is a float 64.
      buf[this.#pos++] = 0xcb;
      this.#floatView.setFloat64(0, value);
      const b = this.#floatBytes;
      const p = this.#pos;
      for (let i = 0; i < 8; i++) buf[p + i] = b[i] ?? 0;
      this.#pos = p + 8;
    }
  }

  #writeString(value: string): void {
    const length = value.length;
    if (length >= LONG_STRING) {
      this.#writeLongString(value);
      return;
    }
    // Fewer than 64 UTF-16 units: at most 189 bytes, so fixstr or str 8.
    this.#ensure(length * 3 + 2);
    const buf = this.#buf;
    const headerSize = length < 0x20 ? 1 : 2;
    const at = this.#pos;
    let p = at + headerSize;
    for (let i = 0; i < length; i++) {
      let c = value.charCodeAt(i);
      if (c < 0x80) {
        buf[p++] = c;
      } else if (c < 0x800) {
        buf[p++] = (c >> 6) | 0xc0;
        buf[p++] = (c & 0x3f) | 0x80;
      } else if ((c & 0xfc00) === 0xd800 && (value.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
        c = 0x10000 + ((c & 0x03ff) << 10) + (value.charCodeAt(++i) & 0x03ff);
        buf[p++] = (c >> 18) | 0xf0;
        buf[p++] = ((c >> 12) & 0x3f) | 0x80;
        buf[p++] = ((c >> 6) & 0x3f) | 0x80;
        buf[p++] = (c & 0x3f) | 0x80;
      } else {
        // A lone surrogate is not UTF-8: U+FFFD instead, as TextEncoder writes it for long strings.
        if ((c & 0xf800) === 0xd800) c = 0xfffd;
        buf[p++] = (c >> 12) | 0xe0;
        buf[p++] = ((c >> 6) & 0x3f) | 0x80;
        buf[p++] = (c & 0x3f) | 0x80;
      }
    }
    const bytes = p - at - headerSize;
    if (bytes < 0x20) {
      buf[at] = 0xa0 | bytes;
      this.#pos = at + 1 + bytes;
    } else {
      if (headerSize === 1) buf.copyWithin(at + 2, at + 1, p);
      buf[at] = 0xd9;
      buf[at + 1] = bytes;
      this.#pos = at + 2 + bytes;
    }
  }

  #writeLongString(value: string): void {
    const length = value.length;
    this.#ensure(length * 3 + 5);
    const headerSize = length < 0x100 ? 2 : length < 0x10000 ? 3 : 5;
    const at = this.#pos;
    // UTF-8 is never shorter than UTF-16 in units, so the header guessed from the length is never too big.
    const bytes = this.#textEncoder.encodeInto(value, this.#buf.subarray(at + headerSize)).written;
    const buf = this.#buf;
    if (bytes < 0x100) {
      buf[at] = 0xd9;
      buf[at + 1] = bytes;
      this.#pos = at + 2 + bytes;
    } else if (bytes < 0x10000) {
      if (headerSize < 3) buf.copyWithin(at + 3, at + headerSize, at + headerSize + bytes);
      buf[at] = 0xda;
      buf[at + 1] = bytes >> 8;
      buf[at + 2] = bytes & 0xff;
      this.#pos = at + 3 + bytes;
    } else {
      if (headerSize < 5) buf.copyWithin(at + 5, at + headerSize, at + headerSize + bytes);
      buf[at] = 0xdb;
      this.#writeUint32At(at + 1, bytes);
      this.#pos = at + 5 + bytes;
    }
  }

  #writeUint32At(at: number, value: number): void {
    const buf = this.#buf;
    buf[at] = value >>> 24;
    buf[at + 1] = (value >>> 16) & 0xff;
    buf[at + 2] = (value >>> 8) & 0xff;
    buf[at + 3] = value & 0xff;
  }

  #ensure(bytes: number): void {
    if (this.#pos + bytes > this.#buf.length) this.#grow(bytes);
  }

  /** Moves the value written so far to a slab with room for `bytes` more. */
  #grow(bytes: number): void {
    const used = this.#pos - this.#start;
    const size = Math.max(SLAB_SIZE, Math.ceil(((used + bytes) * 2) / 4096) * 4096);
    const next = allocSlab(size);
    next.set(this.#buf.subarray(this.#start, this.#pos));
    this.#buf = next;
    this.#safeEnd = size - 10;
    this.#start = 0;
    this.#pos = used;
  }
}
