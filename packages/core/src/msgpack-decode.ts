/**
 * The MessagePack decoder of the msgpack codec, strict by itself (docs/protocol.md §4): one value,
 * no trailing bytes, no 0xc1, no extension type, map keys only strings, strings only valid UTF-8,
 * within the shape limits of payload-limits.ts. Every rejection is AgentSocketError INVALID_FRAME
 * with the offset of the offending byte. Fast on small envelopes: no DataView per input, a cache
 * of map keys, short ASCII strings built in one call.
 */
import { AgentSocketError } from './errors.js';
import { MAX_PAYLOAD_CONTAINERS, MAX_PAYLOAD_DEPTH, MAX_PAYLOAD_VALUES, tooDeep, tooManyContainers, tooManyValues } from './payload-limits.js';

/** ASCII strings shorter than this are built from the bytes with String.fromCharCode. */
const SHORT_STRING = 64;
/** Map keys up to this many bytes go through the key cache. */
const MAX_CACHED_KEY = 32;
const KEY_CACHE_SIZE = 1024; // a power of two
const EMPTY = new Uint8Array(0);
const fromCharCode = String.fromCharCode;

export class MsgpackReader {
  #src: Uint8Array = EMPTY;
  #pos = 0;
  #end = 0;
  /** Array elements still allowed: every element takes a byte, so no valid input exceeds it. */
  #budget = 0;
  #depth = 0;
  #values = 0;
  #containers = 0;
  #busy = false;
  /** Recently seen ASCII map keys, so a repeated key is one compare, not a new string. */
  readonly #keys: Array<string | undefined> = new Array(KEY_CACHE_SIZE).fill(undefined);
  /** One array per length for String.fromCharCode.apply: no allocation per string. */
  readonly #units: number[][] = Array.from({ length: SHORT_STRING }, (_, n) => new Array<number>(n).fill(0));
  readonly #utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  /** A float's bytes are copied here, in wire (big-endian) order, and read through the view: no DataView per input. */
  readonly #floatBytes = new Uint8Array(8);
  readonly #floatView = new DataView(this.#floatBytes.buffer);

  /** The one value in `bytes`; throws AgentSocketError INVALID_FRAME when §4 does not accept them. */
  decode(bytes: Uint8Array): unknown {
    if (!(bytes instanceof Uint8Array)) throw invalid('MessagePack input is not a byte array');
    if (bytes.length === 0) throw invalid('MessagePack input is empty');
    // A setter someone put on Object.prototype may decode again while we read: a reader of its own.
    if (this.#busy) return new MsgpackReader().decode(bytes);
    this.#busy = true;
    this.#src = bytes;
    this.#pos = 0;
    this.#end = bytes.length;
    this.#budget = bytes.length;
    this.#depth = 0;
    this.#values = 1;
    this.#containers = 0;
    try {
      const value = this.#read();
      if (this.#pos !== this.#end) {
        throw invalid(`MessagePack input has ${this.#end - this.#pos} byte(s) after its value (at offset ${this.#pos})`);
      }
      return value;
    } finally {
      this.#src = EMPTY;
      this.#busy = false;
    }
  }

  #read(): unknown {
    const pos = this.#pos;
    if (pos >= this.#end) throw this.#truncated();
    const token = this.#src[pos] ?? 0;
    this.#pos = pos + 1;
    if (token < 0x80) return token;
    if (token < 0x90) return this.#readMap(token & 0x0f);
    if (token < 0xa0) return this.#readArray(token & 0x0f);
    if (token < 0xc0) return this.#readString(token & 0x1f);
    if (token >= 0xe0) return token - 0x100;
    switch (token) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
        return this.#readBin(this.#readUint(1));
      case 0xc5:
        return this.#readBin(this.#readUint(2));
      case 0xc6:
        return this.#readBin(this.#readUint(4));
      case 0xca:
        return this.#readFloat(4);
      case 0xcb:
        return this.#readFloat(8);
      case 0xcc:
        return this.#readUint(1);
      case 0xcd:
        return this.#readUint(2);
      case 0xce:
        return this.#readUint(4);
      case 0xcf: {
        // High word times 2^32 plus low word: the nearest float 64 past 2^53.
        const high = this.#readUint(4);
        return high * 0x100000000 + this.#readUint(4);
      }
      case 0xd0:
        return (this.#readUint(1) << 24) >> 24;
      case 0xd1:
        return (this.#readUint(2) << 16) >> 16;
      case 0xd2:
        return this.#readUint(4) | 0;
      case 0xd3: {
        const high = this.#readUint(4) | 0;
        return high * 0x100000000 + this.#readUint(4);
      }
      case 0xd9:
        return this.#readString(this.#readUint(1));
      case 0xda:
        return this.#readString(this.#readUint(2));
      case 0xdb:
        return this.#readString(this.#readUint(4));
      case 0xdc:
        return this.#readArray(this.#readUint(2));
      case 0xdd:
        return this.#readArray(this.#readUint(4));
      case 0xde:
        return this.#readMap(this.#readUint(2));
      case 0xdf:
        return this.#readMap(this.#readUint(4));
      case 0xc1:
        throw invalid(`MessagePack byte 0xc1 (at offset ${pos}) is never used`);
      default:
        throw this.#extension(token, pos);
    }
  }

  /** ext 8/16/32 (0xc7–0xc9) and fixext 1–16 (0xd4–0xd8): never accepted; names the type when the input has it. */
  #extension(token: number, at: number): AgentSocketError {
    const typeAt = token <= 0xc9 ? at + 1 + (1 << (token - 0xc7)) : at + 1;
    if (typeAt >= this.#end) return this.#truncated();
    const type = ((this.#src[typeAt] ?? 0) << 24) >> 24;
    return invalid(`MessagePack extension type ${type} (at offset ${at}) is not accepted`);
  }

  #readMap(length: number): Record<string, unknown> {
    if (length > (this.#end - this.#pos) / 2) throw this.#truncated();
    this.#enter(2 * length);
    const map: Record<string, unknown> = {};
    for (let i = 0; i < length; i++) {
      const key = this.#readKey();
      const value = this.#read();
      // An own property, as JSON.parse makes it: never the prototype setter.
      if (key === '__proto__') Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
      else map[key] = value; // a repeated key: the last one wins, as in JSON.parse
    }
    this.#depth--;
    return map;
  }

  #readArray(length: number): unknown[] {
    this.#budget -= length;
    if (length > this.#end - this.#pos || this.#budget < 0) throw this.#truncated();
    this.#enter(length);
    const array = new Array<unknown>(length);
    for (let i = 0; i < length; i++) array[i] = this.#read();
    this.#depth--;
    return array;
  }

  /** A container of `values` values begins. */
  #enter(values: number): void {
    this.#values += values;
    if (++this.#depth > MAX_PAYLOAD_DEPTH) throw tooDeep();
    if (++this.#containers > MAX_PAYLOAD_CONTAINERS) throw tooManyContainers();
    if (this.#values > MAX_PAYLOAD_VALUES) throw tooManyValues();
  }

  #readKey(): string {
    const pos = this.#pos;
    if (pos >= this.#end) throw this.#truncated();
    const token = this.#src[pos] ?? 0;
    this.#pos = pos + 1;
    if (token >= 0xa0 && token < 0xc0) return this.#readCachedKey(token & 0x1f);
    switch (token) {
      case 0xd9:
        return this.#readCachedKey(this.#readUint(1));
      case 0xda:
        return this.#readString(this.#readUint(2));
      case 0xdb:
        return this.#readString(this.#readUint(4));
      default:
        throw invalid(`MessagePack map key (at offset ${pos}) is not a string (byte 0x${token.toString(16).padStart(2, '0')})`);
    }
  }

  #readCachedKey(length: number): string {
    if (length > MAX_CACHED_KEY || length === 0) return this.#readString(length);
    const src = this.#src;
    const start = this.#pos;
    const end = start + length;
    if (end > this.#end) throw this.#truncated();
    const slot =
      ((length << 5) ^ ((src[start] ?? 0) << 2) ^ (src[end - 1] ?? 0) ^ ((src[start + (length >> 1)] ?? 0) << 4)) &
      (KEY_CACHE_SIZE - 1);
    const cached = this.#keys[slot];
    if (cached !== undefined && cached.length === length) {
      let i = 0;
      while (i < length && cached.charCodeAt(i) === src[start + i]) i++;
      if (i === length) {
        this.#pos = end;
        return cached;
      }
    }
    const key = this.#readString(length);
    // Only ASCII keys are cached: their bytes are their char codes, which the compare above relies on.
    if (key.length === length) this.#keys[slot] = key;
    return key;
  }

  #readString(length: number): string {
    const src = this.#src;
    const start = this.#pos;
    const end = start + length;
    if (end > this.#end) throw this.#truncated();
    this.#pos = end;
    if (length < SHORT_STRING) {
      const units = this.#units[length] ?? [];
      let i = 0;
      for (; i < length; i++) {
        const c = src[start + i] ?? 0;
        if (c >= 0x80) break;
        units[i] = c;
      }
      if (i === length) return fromCharCode.apply(null, units);
    }
    try {
      return this.#utf8.decode(src.subarray(start, end));
    } catch (error) {
      throw invalid(`MessagePack string (at offset ${start}) is not valid UTF-8`, error);
    }
  }

  #readBin(length: number): Uint8Array {
    const start = this.#pos;
    if (length > this.#end - start) throw this.#truncated();
    this.#pos = start + length;
    // A view of the input, not a copy.
    return this.#src.subarray(start, start + length);
  }

  /** Reads a big-endian unsigned integer of 1, 2 or 4 bytes. */
  #readUint(bytes: 1 | 2 | 4): number {
    const src = this.#src;
    const p = this.#pos;
    if (p + bytes > this.#end) throw this.#truncated();
    this.#pos = p + bytes;
    if (bytes === 1) return src[p] ?? 0;
    if (bytes === 2) return ((src[p] ?? 0) << 8) | (src[p + 1] ?? 0);
    return (((src[p] ?? 0) << 24) | ((src[p + 1] ?? 0) << 16) | ((src[p + 2] ?? 0) << 8) | (src[p + 3] ?? 0)) >>> 0;
  }

  /** A float 32 (`bytes` 4) or 64 (8). */
  #readFloat(bytes: 4 | 8): number {
    const src = this.#src;
    const p = this.#pos;
    if (p + bytes > this.#end) throw this.#truncated();
    this.#pos = p + bytes;
    const b = this.#floatBytes;
    for (let i = 0; i < bytes; i++) b[i] = src[p + i] ?? 0;
    return bytes === 8 ? this.#floatView.getFloat64(0) : this.#floatView.getFloat32(0);
  }

  #truncated(): AgentSocketError {
    return invalid(`MessagePack input is truncated: its ${this.#end} byte(s) end inside a value`);
  }
}

function invalid(message: string, cause?: unknown): AgentSocketError {
  return new AgentSocketError('INVALID_FRAME', message, cause === undefined ? undefined : { cause });
}
