import { AgentSocketError, type Codec, DEFAULT_MAX_FRAME_BYTES, type ToolInfo } from '@agentsocket/core';
import { expectRecord, optNum, parseToolInfo, str, uint, WireShapeError } from '@agentsocket/core/internal';

/** Media type of a streamed response of frames (docs/relay.md §4). */
export const FRAMES_CONTENT_TYPE = 'application/vnd.agentsocket.relay-frames';
/** Bytes before each frame's payload: a type byte and a 32-bit big-endian length. */
export const FRAME_HEADER_SIZE = 5;

/** Response frame types (docs/relay.md §4.2). */
export const RelayFrameType = {
  CHUNK: 0x01,
  CHUNK_BYTES: 0x02,
  RESULT: 0x03,
  ERROR: 0x04,
  TOOL_DEF: 0x05,
  STATE: 0x06,
  KEEPALIVE: 0x07,
} as const;

export interface RelayMetrics {
  durationMs: number;
  cpuMs?: number;
  chunks: number;
}

/** One decoded response frame. */
export type RelayFrame =
  | { type: typeof RelayFrameType.CHUNK; data: unknown }
  | { type: typeof RelayFrameType.CHUNK_BYTES; data: Uint8Array }
  | { type: typeof RelayFrameType.RESULT; result: unknown; metrics: RelayMetrics | undefined }
  | { type: typeof RelayFrameType.ERROR; code: number; message: string; data: unknown; metrics: RelayMetrics | undefined }
  | { type: typeof RelayFrameType.TOOL_DEF; tools: ToolInfo[]; removed: string[] }
  | { type: typeof RelayFrameType.STATE; state: string | null }
  | { type: typeof RelayFrameType.KEEPALIVE };

/** Encodes one frame; payloads but CHUNK_BYTES are one value of `codec` (the request's). */
export function encodeRelayFrame(frame: RelayFrame, codec: Codec): Uint8Array {
  const encode = (value: unknown) => codec.encode(value);
  let payload: Uint8Array;
  switch (frame.type) {
    case RelayFrameType.CHUNK:
      payload = encode(frame.data === undefined ? null : frame.data);
      break;
    case RelayFrameType.CHUNK_BYTES:
      payload = frame.data;
      break;
    case RelayFrameType.RESULT:
      payload = encode({ result: frame.result, metrics: frame.metrics });
      break;
    case RelayFrameType.ERROR:
      payload = encode({ code: frame.code, message: frame.message, data: frame.data, metrics: frame.metrics });
      break;
    case RelayFrameType.TOOL_DEF:
      payload = encode({ tools: frame.tools, removed: frame.removed });
      break;
    case RelayFrameType.STATE:
      payload = encode({ state: frame.state });
      break;
    case RelayFrameType.KEEPALIVE:
      payload = new Uint8Array(0);
      break;
  }
  const out = new Uint8Array(FRAME_HEADER_SIZE + payload.byteLength);
  out[0] = frame.type;
  new DataView(out.buffer).setUint32(1, payload.byteLength);
  out.set(payload, FRAME_HEADER_SIZE);
  return out;
}

/** A frame from the function that breaks docs/relay.md §4 (the relay answers the call with 502). */
export class RelayFrameError extends AgentSocketError {
  constructor(
    message: string,
    /** True when the frame was refused for its length alone (the relay answers 413). */
    readonly tooLarge = false,
  ) {
    super('INVALID_FRAME', message);
  }
}

/**
 * Cuts a byte stream into frames by their length fields, whatever the chunking of the bytes that
 * arrive. push() returns the frames completed by these bytes; after a terminal frame (RESULT or
 * ERROR) it reads nothing more.
 */
export class RelayFrameReader {
  /** Bytes received that do not yet make a whole frame, in arrival order (joined once a frame is complete). */
  private parts: Uint8Array[] = [];
  private size = 0;
  /** Length of the frame being collected, once its header is in. */
  private need = -1;
  private done = false;

  constructor(
    private readonly codec: Codec,
    private readonly maxFrameBytes = DEFAULT_MAX_FRAME_BYTES,
  ) {}

  /** Bytes received that do not yet make a whole frame. */
  get pending(): number {
    return this.size;
  }

  /** A terminal frame (RESULT or ERROR) was read: nothing after it is. */
  get ended(): boolean {
    return this.done;
  }

  push(bytes: Uint8Array): RelayFrame[] {
    if (this.done) return [];
    this.parts.push(bytes);
    this.size += bytes.byteLength;
    const frames: RelayFrame[] = [];
    for (;;) {
      if (this.need < 0) {
        if (this.size < FRAME_HEADER_SIZE) break;
        const head = this.peek(FRAME_HEADER_SIZE);
        const type = head[0] ?? 0;
        if (type < RelayFrameType.CHUNK || type > RelayFrameType.KEEPALIVE) {
          throw new RelayFrameError(`unknown frame type 0x${type.toString(16).padStart(2, '0')}`);
        }
        const length = new DataView(head.buffer, head.byteOffset, FRAME_HEADER_SIZE).getUint32(1);
        if (length > this.maxFrameBytes) {
          throw new RelayFrameError(`frame of ${length} bytes, over the limit of ${this.maxFrameBytes}`, true);
        }
        this.need = FRAME_HEADER_SIZE + length;
      }
      if (this.size < this.need) break;
      const whole = this.take(this.need);
      this.need = -1;
      const frame = decodeRelayFrame(whole[0] ?? 0, whole.subarray(FRAME_HEADER_SIZE), this.codec);
      frames.push(frame);
      if (frame.type === RelayFrameType.RESULT || frame.type === RelayFrameType.ERROR) {
        this.done = true;
        this.parts = [];
        this.size = 0;
        break;
      }
    }
    return frames;
  }

  /** The first n buffered bytes (n ≤ size), joining parts only as far as needed. */
  private peek(n: number): Uint8Array {
    const first = this.parts[0];
    if (first && first.byteLength >= n) return first;
    this.parts = [concat(this.parts, this.size)];
    return this.parts[0] ?? new Uint8Array(0);
  }

  /** Removes and returns the first n buffered bytes (n ≤ size). */
  private take(n: number): Uint8Array {
    const first = this.parts[0];
    let joined: Uint8Array;
    if (first && first.byteLength >= n) {
      joined = first;
    } else {
      joined = concat(this.parts, this.size);
      this.parts = [joined];
    }
    const out = joined.subarray(0, n);
    const rest = joined.subarray(n);
    this.parts.shift();
    if (rest.byteLength > 0) this.parts.unshift(rest);
    this.size -= n;
    return out;
  }
}

function concat(parts: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** Decodes one frame's payload with the request's codec. Throws RelayFrameError. */
export function decodeRelayFrame(type: number, payload: Uint8Array, codec: Codec): RelayFrame {
  const decode = (bytes: Uint8Array) => codec.decode(bytes);
  const name = `frame type 0x${type.toString(16).padStart(2, '0')}`;
  try {
    switch (type) {
      case RelayFrameType.CHUNK:
        return { type, data: decode(payload) };
      case RelayFrameType.CHUNK_BYTES:
        return { type, data: payload.slice() };
      case RelayFrameType.RESULT: {
        const r = expectRecord(decode(payload), 'RESULT');
        return { type, result: 'result' in r ? r['result'] : undefined, metrics: parseMetrics(r['metrics']) };
      }
      case RelayFrameType.ERROR: {
        const r = expectRecord(decode(payload), 'ERROR');
        return { type, code: uint(r, 'code', 'ERROR'), message: str(r, 'message', 'ERROR'), data: r['data'] ?? undefined, metrics: parseMetrics(r['metrics']) };
      }
      case RelayFrameType.TOOL_DEF: {
        const r = expectRecord(decode(payload), 'TOOL_DEF');
        return { type, tools: parseTools(r['tools']), removed: parseNames(r['removed']) };
      }
      case RelayFrameType.STATE: {
        const r = expectRecord(decode(payload), 'STATE');
        const state = r['state'];
        if (state !== null && state !== undefined && typeof state !== 'string') throw new WireShapeError('STATE.state must be a string or null');
        return { type, state: state ?? null };
      }
      case RelayFrameType.KEEPALIVE:
        if (payload.byteLength !== 0) throw new WireShapeError('KEEPALIVE has an empty payload');
        return { type };
      default:
        throw new RelayFrameError(`unknown ${name}`);
    }
  } catch (error) {
    if (error instanceof RelayFrameError) throw error;
    throw new RelayFrameError(`bad ${name}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function parseMetrics(value: unknown): RelayMetrics | undefined {
  if (value === undefined || value === null) return undefined;
  const r = expectRecord(value, 'metrics');
  const durationMs = optNum(r, 'durationMs', 'metrics') ?? 0;
  const cpuMs = optNum(r, 'cpuMs', 'metrics');
  const chunks = optNum(r, 'chunks', 'metrics') ?? 0;
  // Built in the order the reference writes them, so a decoded frame re-encodes to the same bytes.
  return cpuMs === undefined ? { durationMs, chunks } : { durationMs, cpuMs, chunks };
}

/** Reads a list of ToolInfo exactly as the ASP wire has it (core's parser: name, description, schemas, title, annotations). */
export function parseTools(value: unknown): ToolInfo[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new WireShapeError('tools must be an array');
  return value.map((t, i) => parseToolInfo(t, `tools[${i}]`));
}

function parseNames(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((n) => typeof n === 'string')) throw new WireShapeError('removed must be an array of strings');
  return value;
}
