import { Decoder, Encoder } from '@msgpack/msgpack';
import { Packr, RESERVE_START_SPACE, Unpackr } from 'msgpackr';
import { AgentSocketError } from './errors.js';
import { checkMsgpack } from './msgpack-check.js';
import { checkJsonShape } from './payload-limits.js';
import { MsgpackReader } from './msgpack-decode.js';
import { MsgpackWriter } from './msgpack-encode.js';

/**
 * Turns payload values into bytes and back. Negotiated in HELLO by `name`.
 * A codec must produce standard encodings only, so a peer in any language can decode them.
 */
export interface Codec {
  readonly name: string;
  encode(value: unknown): Uint8Array;
  /**
   * Optional fast path: encode(value) preceded by `headroom` (< 256) unset bytes, so a frame
   * header can be written in front without copying the payload.
   */
  encodeWithHeadroom?(value: unknown, headroom: number): Uint8Array;
  /** Throws when the bytes are not a valid encoding (the session codecs: AgentSocketError INVALID_FRAME). */
  decode(bytes: Uint8Array): unknown;
}

/**
 * A msgpackr encoder and decoder in the plain mode our codec falls back to: no records, no
 * structured clone, no extension types on output, undefined properties dropped, 64-bit integers
 * as numbers.
 */
export function msgpackrPlain(): { packr: Packr; unpackr: Unpackr } {
  // skipValues (drop undefined properties) exists at runtime but not in msgpackr's typings.
  const packOptions = {
    useRecords: false,
    moreTypes: false,
    structuredClone: false,
    bundleStrings: false,
    encodeUndefinedAsNil: true,
    skipValues: [undefined],
    int64AsType: 'number',
  } as const;
  return {
    packr: new Packr(packOptions),
    unpackr: new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' }),
  };
}

/**
 * msgpackr alone, in plain mode: the same bytes as msgpackCodec(), without our writer and reader
 * and without its strict decoding. For comparisons (apps/bench); not a session codec.
 */
export function msgpackrPlainCodec(): Codec {
  const { packr, unpackr } = msgpackrPlain();
  return { name: 'msgpack', encode: (value) => packr.pack(value), decode: (bytes) => unpackr.unpack(bytes) as unknown };
}

/**
 * MessagePack as msgpackr writes it in plain mode: no records, no structured clone, no extension
 * types, undefined properties dropped. Payload-shaped values (plain objects, arrays, strings,
 * numbers, booleans, null, Uint8Array) go through our own writer and reader, which write the bytes
 * msgpackr writes, read back the values it reads, and are faster on small envelopes; anything else
 * is msgpackr's (docs/benchmarks.md). Faster than @msgpack/msgpack either way, so it is the default.
 * Decoding is as strict as docs/protocol.md §4: msgpackr only sees input checkMsgpack() passed
 * (no 0xc1, no extension type but the timestamp), and every failure is INVALID_FRAME.
 */
export function msgpackCodec(): Codec {
  const { packr, unpackr } = msgpackrPlain();
  // msgpackr reserves the headroom in its own output buffer: no second allocation, no copy.
  const writer = new MsgpackWriter((value, headroom) => {
    // msgpackr writes a Date as a timestamp extension, which senders must not use (protocol.md §4).
    const plain = datesAsJson(value);
    const out = headroom === 0 ? packr.pack(plain) : packr.pack(plain, RESERVE_START_SPACE | (headroom & 0xff));
    try {
      checkMsgpack(out.subarray(headroom), { timestamp: false });
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      const message = /extension type/.test(why)
        ? 'cannot encode this value without a MessagePack extension type (a Date inside a class instance?); convert it to a string or a plain object first'
        : `cannot send this value, a peer would refuse it (protocol.md §4): ${why}`;
      throw new AgentSocketError('INVALID_FRAME', message, { cause: error });
    }
    return out;
  });
  const reader = new MsgpackReader((bytes) => {
    // msgpackr accepts more than the spec (nested 0xc1, its own extension types): check first.
    checkMsgpack(bytes);
    try {
      return unpackr.unpack(bytes) as unknown;
    } catch (error) {
      throw invalidPayload('MessagePack', error);
    }
  });
  return {
    name: 'msgpack',
    encode: (value) => writer.encode(value, 0),
    encodeWithHeadroom: (value, headroom) => writer.encode(value, headroom & 0xff),
    decode: (bytes) => reader.decode(bytes),
  };
}

/**
 * `value` with every Date reached through arrays, plain objects, Maps and Sets replaced by its
 * toJSON() (an ISO string, or null), as our writer and the JSON codec send dates. The value itself
 * when it holds no such Date. Only for values our writer leaves to msgpackr, so not on the fast path.
 */
function datesAsJson(value: unknown, depth = 0): unknown {
  if (value instanceof Date) return value.toJSON();
  if (typeof value !== 'object' || value === null || depth > 1000) return value; // msgpackr reports the depth
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    value.forEach((v, i) => {
      const w = datesAsJson(v, depth + 1);
      if (w === v) return;
      out ??= value.slice();
      out[i] = w;
    });
    return out ?? value;
  }
  if (value instanceof Map) {
    let changed = false;
    const entries = [...value].map(([k, v]): [unknown, unknown] => {
      const [k2, v2] = [datesAsJson(k, depth + 1), datesAsJson(v, depth + 1)];
      changed ||= k2 !== k || v2 !== v;
      return [k2, v2];
    });
    return changed ? new Map(entries) : value;
  }
  if (value instanceof Set) {
    const items = [...value].map((v) => datesAsJson(v, depth + 1));
    return items.some((v) => !value.has(v)) ? new Set(items) : value;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return value;
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(value)) {
    const w = datesAsJson(v, depth + 1);
    if (w === v) continue;
    out ??= Object.defineProperties({}, Object.getOwnPropertyDescriptors(value));
    Object.defineProperty(out, k, { value: w, enumerable: true, writable: true, configurable: true });
  }
  return out ?? value;
}

/**
 * MessagePack on @msgpack/msgpack with a reused Encoder/Decoder: a stock library, for comparison.
 * Not a session codec: it decodes any extension type (as ExtData) and throws the library's errors.
 */
export function msgpackReferenceCodec(): Codec {
  const encoder = new Encoder({ ignoreUndefined: true });
  const decoder = new Decoder();
  return {
    name: 'msgpack',
    // encodeSharedRef would alias a reused buffer; frames outlive the call, so copy.
    encode: (value) => encoder.encode(value),
    decode: (bytes) => decoder.decode(bytes),
  };
}

/** UTF-8 JSON, held to the shape limits of payload-limits.ts. Cannot carry binary values (Uint8Array); use MessagePack for those. */
export function jsonCodec(): Codec {
  const te = new TextEncoder();
  const td = new TextDecoder('utf-8', { fatal: true });
  return {
    name: 'json',
    encode: (value) => te.encode(JSON.stringify(value)),
    decode: (bytes) => {
      if (bytes.byteLength === 0) throw new AgentSocketError('INVALID_FRAME', 'JSON input is empty');
      // Before JSON.parse, which would build every nested array before anything could refuse it.
      checkJsonShape(bytes);
      try {
        return JSON.parse(td.decode(bytes)) as unknown;
      } catch (error) {
        throw invalidPayload('JSON', error);
      }
    },
  };
}

/** A decode failure as every codec reports it: INVALID_FRAME, with the underlying error as cause. */
function invalidPayload(format: string, error: unknown): AgentSocketError {
  const message = error instanceof Error ? error.message : String(error);
  return new AgentSocketError('INVALID_FRAME', `${format} input does not decode: ${message}`, { cause: error });
}

export type CodecName = 'msgpack' | 'json';

export function createCodec(name: string): Codec {
  switch (name) {
    case 'msgpack':
      return msgpackCodec();
    case 'json':
      return jsonCodec();
    default:
      throw new AgentSocketError('INVALID_OPTIONS', `unknown codec "${name}" (known: msgpack, json)`);
  }
}
