import { ulidFromBytes } from './ids.js';
import * as FrameType from './frame-type.js';
import { frameTypeName, isKnownFrameType } from './opcodes.js';
import {
  expectRecord,
  isRecord,
  optBool,
  optNum,
  optStr,
  optUint,
  str,
  uint,
  WireShapeError,
  type WireRecord,
} from './wire.js';

/** How hard the protocol tries to deliver a request and its responses. Wire values 0, 1, 2. */
export type Delivery = 'at-most-once' | 'at-least-once' | 'exactly-once';
export const DELIVERY_WIRE: Record<Delivery, number> = { 'at-most-once': 0, 'at-least-once': 1, 'exactly-once': 2 };
const DELIVERY_BY_WIRE: readonly Delivery[] = ['at-most-once', 'at-least-once', 'exactly-once'];

/** A tool as announced on the wire (HELLO reply, TOOL_DEF). */
export interface ToolInfo {
  name: string;
  description?: string;
  /** JSON Schema (draft 2020-12) of the arguments. */
  inputSchema?: Record<string, unknown>;
  /** A human-readable name for the tool, for display (MCP's `title`). */
  title?: string;
  /** JSON Schema (draft 2020-12) of the COMPLETE result; the callee checks its results against it. */
  outputSchema?: Record<string, unknown>;
  /** Hints about the tool's behaviour, as MCP defines them; a receiver must not trust them for security. */
  annotations?: ToolAnnotations;
}

/** MCP's tool annotations (all optional hints); unknown keys are kept as they came. */
export interface ToolAnnotations {
  title?: string;
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
  [key: string]: unknown;
}

export interface CallMetrics {
  /** Wall time from the handler's start to its terminal frame, in ms. */
  durationMs: number;
  /** Time the handler spent running on the event loop, in ms, where known. */
  cpuMs?: number;
  /** STREAM frames sent for this request. */
  chunks: number;
}

/** Decoded application frames (everything but HELLO, which has its own module). */
export type Message =
  | {
      type: typeof FrameType.INVOKE;
      id: string;
      tool: string;
      args: unknown;
      delivery: Delivery;
      /** The COMPLETE must carry metrics: always in the long form, on `m: true` in the lean one (protocol.md §6). */
      metrics: boolean;
      to?: string;
      traceparent?: string;
      ts?: number;
    }
  | { type: typeof FrameType.STREAM; seq: number; data: unknown }
  | { type: typeof FrameType.INTERRUPT; reason?: string }
  | { type: typeof FrameType.TOOL_DEF; id: string; tools: ToolInfo[]; removed: string[] }
  | { type: typeof FrameType.ERROR; code: number; message: string; data?: unknown }
  | { type: typeof FrameType.COMPLETE; result: unknown; metrics: CallMetrics }
  | { type: typeof FrameType.ACK; ack: number }
  | { type: typeof FrameType.PING; t: number }
  | { type: typeof FrameType.PONG; t: number }
  | { type: typeof FrameType.GOAWAY; code: number; reason: string; retryMs?: number }
  | { type: typeof FrameType.MESSAGE; id: string; event: string; data: unknown; from: string; room?: string };

/** Session sequence number of a RELIABLE frame's payload, if any. */
export function readSq(payload: unknown): number | undefined {
  if (!isRecord(payload)) return undefined;
  const v = payload['sq'];
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : undefined;
}

/**
 * Validates a decoded payload for the given frame type. Throws WireShapeError. `lean`: the lean
 * envelope was agreed (protocol.md §7), so INVOKE, STREAM and COMPLETE may also come in its form.
 */
export function parseMessage(type: number, payload: unknown, lean = false): Message {
  const what = frameLabel(type);
  const r = expectRecord(payload, what);
  switch (type) {
    case FrameType.INVOKE: {
      const dl = optUint(r, 'dl', what) ?? 1;
      const delivery = DELIVERY_BY_WIRE[dl];
      if (delivery === undefined) throw new WireShapeError(`${what}.dl must be 0, 1 or 2`);
      const short = lean && r['id'] === undefined;
      const m: Message = short
        ? { type, id: leanId(r, what), tool: str(r, 'n', what), args: r['a'], delivery, metrics: optBool(r, 'm', what) === true }
        : { type, id: str(r, 'id', what), tool: str(r, 'tool', what), args: r['args'], delivery, metrics: true };
      const to = optStr(r, 'to', what);
      if (to !== undefined) m.to = to;
      const tp = optStr(r, 'tp', what);
      if (tp !== undefined) m.traceparent = tp;
      const ts = optNum(r, 'ts', what);
      if (ts !== undefined) m.ts = ts;
      return m;
    }
    case FrameType.STREAM:
      if (lean && r['seq'] === undefined) return { type, seq: uint(r, 's', what), data: r['d'] };
      return { type, seq: uint(r, 'seq', what), data: r['data'] };
    case FrameType.INTERRUPT: {
      const reason = optStr(r, 'reason', what);
      return reason === undefined ? { type } : { type, reason };
    }
    case FrameType.TOOL_DEF: {
      const tools = r['tools'] ?? [];
      const removed = r['removed'] ?? [];
      if (!Array.isArray(tools)) throw new WireShapeError(`${what}.tools must be an array`);
      if (!Array.isArray(removed) || !removed.every((x) => typeof x === 'string')) {
        throw new WireShapeError(`${what}.removed must be an array of strings`);
      }
      return { type, id: str(r, 'id', what), tools: tools.map((t, i) => parseToolInfo(t, `${what}.tools[${i}]`)), removed };
    }
    case FrameType.ERROR: {
      const m: Message = { type, code: uint(r, 'code', what), message: str(r, 'message', what) };
      if (r['data'] !== undefined && r['data'] !== null) m.data = r['data'];
      return m;
    }
    case FrameType.COMPLETE: {
      const short = lean && r['result'] === undefined && r['metrics'] === undefined;
      const rawMetrics = short ? r['m'] : r['metrics'];
      // Absent (a lean COMPLETE the caller did not ask metrics of): the defaults, without reading an empty map.
      const metrics: CallMetrics = rawMetrics === undefined ? { durationMs: 0, chunks: 0 } : parseMetrics(rawMetrics, `${what}.metrics`);
      return { type, result: short ? r['r'] : r['result'], metrics };
    }
    case FrameType.ACK:
      return { type, ack: uint(r, 'ack', what) };
    case FrameType.PING:
    case FrameType.PONG:
      return { type, t: optNum(r, 't', what) ?? 0 };
    case FrameType.GOAWAY: {
      const m: Message = { type, code: uint(r, 'code', what), reason: optStr(r, 'reason', what) ?? '' };
      const retryMs = optUint(r, 'retryMs', what);
      if (retryMs !== undefined) m.retryMs = retryMs;
      return m;
    }
    case FrameType.MESSAGE: {
      const m: Message = { type, id: str(r, 'id', what), event: str(r, 'ev', what), data: r['data'], from: str(r, 'from', what) };
      const room = optStr(r, 'room', what);
      if (room !== undefined) m.room = room;
      return m;
    }
    default:
      throw new WireShapeError(`${what} has no payload schema here`);
  }
}

/** COMPLETE.metrics: every field optional (durationMs and chunks default to 0). */
function parseMetrics(value: unknown, what: string): CallMetrics {
  const raw = expectRecord(value, what);
  const metrics: CallMetrics = { durationMs: optNum(raw, 'durationMs', what) ?? 0, chunks: optUint(raw, 'chunks', what) ?? 0 };
  const cpu = optNum(raw, 'cpuMs', what);
  if (cpu !== undefined) metrics.cpuMs = cpu;
  return metrics;
}

/** The lean INVOKE's `i`: a string, or 16 bytes standing for the ULID string they encode (protocol.md §9). */
function leanId(r: WireRecord, what: string): string {
  const v = r['i'];
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) {
    if (v.byteLength !== 16) throw new WireShapeError(`${what}.i must be a string or 16 bytes, got ${v.byteLength} bytes`);
    return ulidFromBytes(v);
  }
  throw new WireShapeError(`${what}.i must be a string or 16 bytes`);
}

export function parseToolInfo(value: unknown, what: string): ToolInfo {
  const r: WireRecord = expectRecord(value, what);
  const name = str(r, 'name', what);
  const description = optStr(r, 'description', what);
  const schema = r['inputSchema'];
  const inputSchema = schema === undefined || schema === null ? undefined : expectRecord(schema, `${what}.inputSchema`);
  const title = optStr(r, 'title', what);
  const output = r['outputSchema'];
  const outputSchema = output === undefined || output === null ? undefined : expectRecord(output, `${what}.outputSchema`);
  const annotations = r['annotations'] === undefined || r['annotations'] === null ? undefined : parseAnnotations(r['annotations'], `${what}.annotations`);
  // Whole literals: properties added one by one would spill into a second object (a server keeps these per session).
  const base: ToolInfo =
    description === undefined
      ? inputSchema === undefined
        ? { name }
        : { name, inputSchema }
      : inputSchema === undefined
        ? { name, description }
        : { name, description, inputSchema };
  if (title === undefined && outputSchema === undefined && annotations === undefined) return base;
  return {
    ...base,
    ...(title === undefined ? {} : { title }),
    ...(outputSchema === undefined ? {} : { outputSchema }),
    ...(annotations === undefined ? {} : { annotations }),
  };
}

const ANNOTATION_FLAGS = ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const;

function parseAnnotations(value: unknown, what: string): ToolAnnotations {
  const r: WireRecord = expectRecord(value, what);
  const title = optStr(r, 'title', what);
  for (const flag of ANNOTATION_FLAGS) {
    const v = r[flag];
    if (v !== undefined && v !== null && typeof v !== 'boolean') throw new WireShapeError(`${what}.${flag} must be a boolean`);
  }
  const out: ToolAnnotations = { ...r };
  if (title === undefined) delete out.title;
  for (const flag of ANNOTATION_FLAGS) if (out[flag] === null) delete out[flag];
  return out;
}

function frameLabel(type: number): string {
  return isKnownFrameType(type) ? frameTypeName(type) : `frame 0x${type.toString(16)}`;
}
