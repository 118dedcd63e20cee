/**
 * A frame in the annotated form of docs/test-vectors.json (protocol.md §27): header fields by name,
 * flag names, and the payload as JSON with a MessagePack bin as {"$bin": hex}. For tools that show
 * frames to people (the CLI, the vector generator); not used on the hot path.
 */
import { type Codec, jsonCodec, msgpackCodec } from './codec.js';
import { decodeFrame } from './frame.js';
import * as Flag from './flag.js';
import { frameTypeName } from './opcodes.js';
import * as FrameType from './frame-type.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface DescribedFrame {
  version: number;
  type: number;
  typeName: string;
  flags: number;
  flagNames: string[];
  requestId: number;
  payloadLength: number;
  /** Absent when the payload does not decode with the codec. */
  payload?: JsonValue;
  /** Why the payload did not decode. */
  payloadError?: string;
}

function hex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

/** A decoded payload as JSON: bin values become {"$bin": hex}, dates their ISO string; undefined properties are dropped. */
export function payloadToJson(value: unknown): JsonValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (value instanceof Uint8Array) return { $bin: hex(value) };
  if (value instanceof Date) return value.toJSON();
  if (Array.isArray(value)) return value.map(payloadToJson);
  if (typeof value === 'object') {
    const out: { [key: string]: JsonValue } = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = payloadToJson(v);
    return out;
  }
  return String(value);
}

/** The names of the set flag bits: REPLY (on HELLO; bit0 elsewhere), RELIABLE, bit2 … bit7. */
export function flagNames(type: number, flags: number): string[] {
  const names: string[] = [];
  if (flags & Flag.REPLY) names.push(type === FrameType.HELLO ? 'REPLY' : 'bit0');
  if (flags & Flag.RELIABLE) names.push('RELIABLE');
  for (let bit = 2; bit < 8; bit++) if (flags & (1 << bit)) names.push(`bit${bit}`);
  return names;
}

const codecs: Record<'msgpack' | 'json', Codec> = { msgpack: msgpackCodec(), json: jsonCodec() };

/** One frame; throws the frame decoder's error when the bytes are not a frame. HELLO is always JSON. */
export function describeFrame(bytes: Uint8Array, codec: 'msgpack' | 'json'): DescribedFrame {
  const f = decodeFrame(bytes);
  const d: DescribedFrame = {
    version: f.version,
    type: f.type,
    typeName: frameTypeName(f.type),
    flags: f.flags,
    flagNames: flagNames(f.type, f.flags),
    requestId: f.requestId,
    payloadLength: f.payload.byteLength,
  };
  try {
    d.payload = payloadToJson(codecs[f.type === FrameType.HELLO ? 'json' : codec].decode(f.payload));
  } catch (error) {
    d.payloadError = error instanceof Error ? error.message : String(error);
  }
  return d;
}
