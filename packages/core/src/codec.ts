import { AgentSocketError } from './errors.js';
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
 * Standard MessagePack, written and read by core's own encoder and decoder (msgpack-encode.ts,
 * msgpack-decode.ts; why not a library: docs/benchmarks.md). Never an extension type on the wire.
 * Decoding is as strict as docs/protocol.md §4 and every failure is INVALID_FRAME; encoding
 * refuses, with INVALID_FRAME and nothing written, a value a peer would refuse.
 */
export function msgpackCodec(): Codec {
  const writer = new MsgpackWriter();
  const reader = new MsgpackReader();
  return {
    name: 'msgpack',
    encode: (value) => writer.encode(value, 0),
    encodeWithHeadroom: (value, headroom) => writer.encode(value, headroom & 0xff),
    decode: (bytes) => reader.decode(bytes),
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

const shared = new Map<string, Codec>();

/**
 * One codec per name for the whole process: codecs keep no state between calls, and a MessagePack
 * reader's caches weigh tens of KiB, too much to build again for every client connection.
 */
export function sharedCodec(name: string): Codec {
  let codec = shared.get(name);
  if (!codec) {
    codec = createCodec(name);
    shared.set(name, codec);
  }
  return codec;
}
