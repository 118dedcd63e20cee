/**
 * Frames in the annotated form docs/test-vectors.json uses (protocol.md §27): header fields by
 * name, flag names, and the payload as JSON with a MessagePack bin as {"$bin": hex}.
 */
import { type Codec, decodeFrame, Flag, FrameType, frameTypeName, HEADER_SIZE, jsonCodec, msgpackCodec, peekHeader } from '@agentsocket/core';

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

export type CodecName = 'msgpack' | 'json';

const codecs: Record<CodecName, Codec> = { msgpack: msgpackCodec(), json: jsonCodec() };

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Hex as people paste it: any case, spaces, colons or a 0x prefix allowed. */
export function fromHex(text: string): Uint8Array {
  const clean = text.replace(/0x/gi, '').replace(/[\s:,]/g, '');
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) throw new Error(`not hex: "${text.slice(0, 40)}"`);
  return Uint8Array.from(Buffer.from(clean, 'hex'));
}

/** A decoded payload as JSON: bin values become {"$bin": hex}; undefined properties are dropped. */
export function toJson(value: unknown): JsonValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (value instanceof Uint8Array) return { $bin: toHex(value) };
  if (value instanceof Date) return value.toJSON();
  if (Array.isArray(value)) return value.map(toJson);
  if (typeof value === 'object') {
    const out: { [key: string]: JsonValue } = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toJson(v);
    return out;
  }
  return String(value);
}

function flagNames(type: number, flags: number): string[] {
  const names: string[] = [];
  if (flags & Flag.REPLY) names.push(type === FrameType.HELLO ? 'REPLY' : 'bit0');
  if (flags & Flag.RELIABLE) names.push('RELIABLE');
  for (let bit = 2; bit < 8; bit++) if (flags & (1 << bit)) names.push(`bit${bit}`);
  return names;
}

/** One frame; throws the frame decoder's error when the bytes are not a frame. HELLO is always JSON. */
export function describeFrame(bytes: Uint8Array, codec: CodecName): DescribedFrame {
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
    d.payload = toJson(codecs[f.type === FrameType.HELLO ? 'json' : codec].decode(f.payload));
  } catch (error) {
    d.payloadError = error instanceof Error ? error.message : String(error);
  }
  return d;
}

/**
 * One WebSocket message: a single frame, or several back to back when their headers' lengths tile
 * it exactly (a batch, protocol.md §2). Bytes that do not tile are described as one (bad) frame.
 */
export function describeMessage(bytes: Uint8Array, codec: CodecName): DescribedFrame[] {
  const parts: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.byteLength) {
    const h = peekHeader(bytes.subarray(at));
    const end = h ? at + HEADER_SIZE + h.length : Number.POSITIVE_INFINITY;
    if (end > bytes.byteLength) return [describeFrame(bytes, codec)];
    parts.push(bytes.subarray(at, end));
    at = end;
  }
  return parts.length === 0 ? [describeFrame(bytes, codec)] : parts.map((p) => describeFrame(p, codec));
}
