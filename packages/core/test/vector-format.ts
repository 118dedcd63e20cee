/**
 * The format of docs/test-vectors.json, shared by the generator (scripts/gen-test-vectors.ts)
 * and the test that verifies it (vectors.test.ts). The file is read back through parseVectors,
 * which validates every field instead of trusting the JSON.
 */

import type { DescribedFrame, JsonValue } from '../src/index.internal.js';

export type { JsonValue };

/** What decodeFrame and the codec make of a valid frame (core's description, without the reason a payload failed). */
export type DecodedFrame = Omit<DescribedFrame, 'payloadError'>;

/** How a receiving session answers a frame it rejects. */
export interface PeerReaction {
  /** 'handshake': sent as the first frame of a connection; 'session': sent after a completed handshake. */
  stage: 'handshake' | 'session';
  /** Numeric wire error code of the ERROR frame it sends. */
  error: number;
  /** Request id the ERROR frame is sent on. */
  requestId: number;
  /** WebSocket close code it then closes with, or null when the connection stays open. */
  close: number | null;
}

export type Vector =
  /** A well-formed frame. */
  | { kind: 'valid'; name: string; note?: string; hex: string; codec: 'msgpack' | 'json'; lean?: true; decoded: DecodedFrame }
  /** Bytes that are not a frame: decodeFrame throws. */
  | {
      kind: 'invalid';
      name: string;
      note?: string;
      hex: string;
      error: { code: string; message: string };
      peer: PeerReaction;
    }
  /** One WebSocket message holding several valid frames back to back (batching agreed, protocol.md §2). */
  | { kind: 'batch'; name: string; note?: string; hex: string; codec: 'msgpack' | 'json'; frames: DecodedFrame[] }
  /** A frame that decodes, but that a session rejects (after a handshake with `codec`). */
  | {
      kind: 'rejected';
      name: string;
      note?: string;
      hex: string;
      codec: 'msgpack' | 'json';
      /** Sent on a connection whose handshake agreed to the lean envelope (protocol.md §7). */
      lean?: true;
      decoded: DecodedFrame;
      peer: PeerReaction;
    };

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-f]*$/.test(hex)) throw new Error(`not lower-case hex: ${hex}`);
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** A decoded payload as JSON: bin values become {"$bin": hex}; undefined properties are dropped. */
export function toJson(value: unknown): JsonValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`${value} has no JSON form`);
    return value;
  }
  if (value instanceof Uint8Array) return { $bin: toHex(value) };
  if (Array.isArray(value)) return value.map(toJson);
  if (typeof value === 'object') {
    const out: { [key: string]: JsonValue } = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toJson(v);
    return out;
  }
  throw new Error(`a ${typeof value} has no JSON form`);
}

/** The inverse of toJson: {"$bin": hex} becomes a Uint8Array. */
export function fromJson(value: JsonValue): unknown {
  if (Array.isArray(value)) return value.map(fromJson);
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value);
    const bin = value['$bin'];
    if (keys.length === 1 && typeof bin === 'string') return fromHex(bin);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = fromJson(v);
    return out;
  }
  return value;
}

// ---- reading the file back without trusting it ----

type Obj = { [key: string]: unknown };

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function field<T>(o: Obj, key: string, check: (v: unknown) => v is T, what: string): T {
  const v = o[key];
  if (!check(v)) throw new Error(`${what}.${key} has the wrong type`);
  return v;
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
const isIntOrNull = (v: unknown): v is number | null => v === null || isInt(v);
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);
const isStage = (v: unknown): v is 'handshake' | 'session' => v === 'handshake' || v === 'session';
const isTrue = (v: unknown): v is true => v === true;
const isCodec = (v: unknown): v is 'msgpack' | 'json' => v === 'msgpack' || v === 'json';

export function isJsonValue(v: unknown): v is JsonValue {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (Array.isArray(v)) return v.every(isJsonValue);
  if (isObj(v)) return Object.values(v).every(isJsonValue);
  return false;
}

function parseDecoded(v: unknown, what: string): DecodedFrame {
  if (!isObj(v)) throw new Error(`${what} must be an object`);
  const d: DecodedFrame = {
    version: field(v, 'version', isInt, what),
    type: field(v, 'type', isInt, what),
    typeName: field(v, 'typeName', isString, what),
    flags: field(v, 'flags', isInt, what),
    flagNames: field(v, 'flagNames', isStringArray, what),
    requestId: field(v, 'requestId', isInt, what),
    payloadLength: field(v, 'payloadLength', isInt, what),
  };
  if (v['payload'] !== undefined) d.payload = field(v, 'payload', isJsonValue, what);
  return d;
}

function parsePeer(v: unknown, what: string): PeerReaction {
  if (!isObj(v)) throw new Error(`${what} must be an object`);
  return {
    stage: field(v, 'stage', isStage, what),
    error: field(v, 'error', isInt, what),
    requestId: field(v, 'requestId', isInt, what),
    close: field(v, 'close', isIntOrNull, what),
  };
}

export function parseVectors(value: unknown): Vector[] {
  if (!Array.isArray(value)) throw new Error('test vectors must be an array');
  return value.map((v, i): Vector => {
    const what = `vectors[${i}]`;
    if (!isObj(v)) throw new Error(`${what} must be an object`);
    const name = field(v, 'name', isString, what);
    const hex = field(v, 'hex', isString, what);
    const note = v['note'] === undefined ? {} : { note: field(v, 'note', isString, what) };
    const lean = v['lean'] === undefined ? {} : { lean: field(v, 'lean', isTrue, what) };
    switch (v['kind']) {
      case 'valid':
        return { kind: 'valid', name, ...note, hex, codec: field(v, 'codec', isCodec, what), ...lean, decoded: parseDecoded(v['decoded'], `${what}.decoded`) };
      case 'invalid': {
        const e = v['error'];
        if (!isObj(e)) throw new Error(`${what}.error must be an object`);
        return {
          kind: 'invalid',
          name,
          ...note,
          hex,
          error: { code: field(e, 'code', isString, `${what}.error`), message: field(e, 'message', isString, `${what}.error`) },
          peer: parsePeer(v['peer'], `${what}.peer`),
        };
      }
      case 'batch': {
        const frames = v['frames'];
        if (!Array.isArray(frames) || frames.length < 2) throw new Error(`${what}.frames must be an array of two or more frames`);
        return {
          kind: 'batch',
          name,
          ...note,
          hex,
          codec: field(v, 'codec', isCodec, what),
          frames: frames.map((f, j) => parseDecoded(f, `${what}.frames[${j}]`)),
        };
      }
      case 'rejected':
        return {
          kind: 'rejected',
          name,
          ...note,
          hex,
          codec: field(v, 'codec', isCodec, what),
          ...lean,
          decoded: parseDecoded(v['decoded'], `${what}.decoded`),
          peer: parsePeer(v['peer'], `${what}.peer`),
        };
      default:
        throw new Error(`${what}.kind must be valid, batch, invalid or rejected`);
    }
  });
}
