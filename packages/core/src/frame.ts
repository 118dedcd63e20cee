import type { Codec } from './codec.js';
import { AgentSocketError } from './errors.js';
import { PROTOCOL_VERSION } from './opcodes.js';

/** Bytes in a frame header: version:4 | type:4 | flags:8 | request id:16 | payload length:32, big-endian. */
export const HEADER_SIZE = 8;

export interface Frame {
  readonly version: number;
  readonly type: number;
  readonly flags: number;
  readonly requestId: number;
  readonly payload: Uint8Array;
}

/** Builds one frame: header then payload, in a single allocation. */
export function encodeFrame(type: number, flags: number, requestId: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER_SIZE + payload.byteLength);
  writeHeader(out, type, flags, requestId, payload.byteLength);
  out.set(payload, HEADER_SIZE);
  return out;
}

/**
 * Encodes a payload value with HEADER_SIZE bytes left in front for writeHeader(). Codecs with
 * encodeWithHeadroom (msgpack) do it without copying the payload into a second buffer.
 */
export function encodeWithHeaderRoom(codec: Codec, value: unknown): Uint8Array {
  if (codec.encodeWithHeadroom) return codec.encodeWithHeadroom(value, HEADER_SIZE);
  const body = codec.encode(value);
  const out = new Uint8Array(HEADER_SIZE + body.byteLength);
  out.set(body, HEADER_SIZE);
  return out;
}

export function writeHeader(out: Uint8Array, type: number, flags: number, requestId: number, length: number): void {
  out[0] = (PROTOCOL_VERSION << 4) | (type & 0x0f);
  out[1] = flags & 0xff;
  out[2] = (requestId >>> 8) & 0xff;
  out[3] = requestId & 0xff;
  out[4] = (length >>> 24) & 0xff;
  out[5] = (length >>> 16) & 0xff;
  out[6] = (length >>> 8) & 0xff;
  out[7] = length & 0xff;
}

/**
 * Parses one frame. Throws AgentSocketError('INVALID_FRAME') when the bytes cannot be a frame:
 * shorter than a header, or a payload length that disagrees with what arrived.
 * The version and type are returned as found; the caller decides what an unknown one means.
 */
export function decodeFrame(bytes: Uint8Array): Frame {
  if (bytes.byteLength < HEADER_SIZE) {
    throw new AgentSocketError('INVALID_FRAME', `frame of ${bytes.byteLength} bytes is shorter than the 8-byte header`);
  }
  const b0 = bytes[0] ?? 0;
  const length = readUint32(bytes, 4);
  if (length !== bytes.byteLength - HEADER_SIZE) {
    throw new AgentSocketError(
      'INVALID_FRAME',
      `header says ${length} payload bytes but ${bytes.byteLength - HEADER_SIZE} arrived`,
    );
  }
  return {
    version: b0 >>> 4,
    type: b0 & 0x0f,
    flags: bytes[1] ?? 0,
    requestId: ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0),
    payload: bytes.subarray(HEADER_SIZE),
  };
}

/** Reads just the header fields, for routing without touching the payload. */
export function peekHeader(bytes: Uint8Array): { type: number; flags: number; requestId: number; length: number } | undefined {
  if (bytes.byteLength < HEADER_SIZE) return undefined;
  return {
    type: (bytes[0] ?? 0) & 0x0f,
    flags: bytes[1] ?? 0,
    requestId: ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0),
    length: readUint32(bytes, 4),
  };
}

function readUint32(bytes: Uint8Array, at: number): number {
  return (((bytes[at] ?? 0) << 24) | ((bytes[at + 1] ?? 0) << 16) | ((bytes[at + 2] ?? 0) << 8) | (bytes[at + 3] ?? 0)) >>> 0;
}
