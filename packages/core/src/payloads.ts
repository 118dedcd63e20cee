import type { Codec } from './codec.js';
import { encodeWithHeaderRoom, HEADER_SIZE, writeHeader } from './frame.js';
import type { TeamMessage } from './hub.js';
import { DELIVERY_WIRE, type Delivery, type ToolInfo } from './messages.js';
import { ulidToBytes } from './ids.js';
import * as FrameType from './frame-type.js';

/**
 * The encoding side of messages.ts: the payload of every frame type a peer sends, field names and
 * omissions as protocol.md gives them, and a payload encoded into a whole frame. Everything that
 * sends ASP frames (Peer, a hub that broadcasts) builds them here.
 */

/** A payload under construction: the session adds `sq` and `ack` before it is encoded. */
export type Payload = Record<string, unknown>;

/**
 * Which envelope a payload of INVOKE, STREAM or COMPLETE is built in: the long form, or the lean
 * one (protocol.md §6) a connection agreed to, with a ULID message id as its 16 bytes where the
 * codec carries binary (LEAN_BINARY_IDS, MessagePack) or as its string (LEAN, JSON). Built in its
 * form at once, a payload is one object per frame, not a long one copied into a lean one.
 */
export const PayloadForm = { LONG: 0, LEAN: 1, LEAN_BINARY_IDS: 2 } as const;
export type PayloadForm = (typeof PayloadForm)[keyof typeof PayloadForm];

/**
 * INVOKE (§9): `dl` only when not at-least-once, `tp` and `to` only when given, `m` (metrics
 * wanted) only when asked: the long form always gets metrics and ignores it, the lean form reads it.
 * In the lean form `id tool args` are `i n a`, the other keys in the same places.
 */
export function invokePayload(
  messageId: string,
  tool: string,
  args: unknown,
  delivery: Delivery,
  traceparent: string | undefined,
  to: string | undefined,
  metrics = false,
  form: PayloadForm = PayloadForm.LONG,
): Payload {
  const payload: Payload =
    form === PayloadForm.LONG
      ? { id: messageId, tool, args }
      : { i: (form === PayloadForm.LEAN_BINARY_IDS ? ulidToBytes(messageId) : undefined) ?? messageId, n: tool, a: args };
  if (delivery !== 'at-least-once') payload['dl'] = DELIVERY_WIRE[delivery];
  if (traceparent !== undefined) payload['tp'] = traceparent;
  if (to !== undefined) payload['to'] = to;
  if (metrics) payload['m'] = true;
  return payload;
}

/** ERROR: `data` only when given. */
export function errorPayload(code: number, message: string, data?: unknown): Payload {
  const payload: Payload = { code, message };
  if (data !== undefined) payload['data'] = data;
  return payload;
}

/** INTERRUPT: why the caller stops a call. */
export function interruptPayload(reason: string): Payload {
  return { reason };
}

/** TOOL_DEF: tools added (or replaced) and names withdrawn. */
export function toolDefPayload(id: string, tools: ToolInfo[], removed: string[]): Payload {
  return { id, tools, removed };
}

/** MESSAGE (§16): a team message; `room` only when it went to a room. */
export function messagePayload(message: TeamMessage): Payload {
  const payload: Payload = { id: message.id, ev: message.event, data: message.data, from: message.from };
  if (message.room !== undefined) payload['room'] = message.room;
  return payload;
}

/** GOAWAY: `retryMs` only when given. */
export function goAwayPayload(code: number, reason: string, retryMs: number | undefined): Payload {
  const payload: Payload = { code, reason };
  if (retryMs !== undefined) payload['retryMs'] = retryMs;
  return payload;
}

/** ACK: every reliable frame up to `ack` has arrived. */
export function ackPayload(ack: number): Payload {
  return { ack };
}

/** PING and PONG: the sender's clock, echoed. */
export function pingPayload(t: number): Payload {
  return { t };
}

/**
 * The lean form (protocol.md §6, "Lean envelope") of a payload built above, for a connection
 * that agreed to it: INVOKE `id tool args` become `i n a` (a ULID id as its 16 bytes where the
 * codec carries binary), STREAM `seq data` become `s d`, COMPLETE `result metrics` become `r m`.
 * Every other key keeps its place; other frame types are returned as they are. (A session builds
 * its payloads in their form at once, PayloadForm; this is for a payload already built long.)
 */
export function leanPayload(type: number, payload: Payload, binaryIds: boolean): Payload {
  switch (type) {
    case FrameType.INVOKE: {
      const out: Payload = {};
      for (const key in payload) {
        const v = payload[key];
        if (key === 'id') out['i'] = (binaryIds && typeof v === 'string' ? ulidToBytes(v) : undefined) ?? v;
        else out[LEAN_INVOKE.get(key) ?? key] = v;
      }
      return out;
    }
    case FrameType.STREAM:
    case FrameType.COMPLETE: {
      const keys = type === FrameType.STREAM ? LEAN_STREAM : LEAN_COMPLETE;
      const out: Payload = {};
      for (const key in payload) out[keys.get(key) ?? key] = payload[key];
      return out;
    }
    default:
      return payload;
  }
}

const LEAN_INVOKE: ReadonlyMap<string, string> = new Map([['tool', 'n'], ['args', 'a']]);
const LEAN_STREAM: ReadonlyMap<string, string> = new Map([['seq', 's'], ['data', 'd']]);
const LEAN_COMPLETE: ReadonlyMap<string, string> = new Map([['result', 'r'], ['metrics', 'm']]);

/**
 * Encodes `payload` with `codec` into a whole frame, the header written in front of it without a
 * copy. Throws what the codec throws; the caller checks the size against the peer's limit.
 */
export function payloadFrame(codec: Codec, type: number, flags: number, requestId: number, payload: Payload): Uint8Array {
  const frame = encodeWithHeaderRoom(codec, payload);
  writeHeader(frame, type, flags, requestId, frame.byteLength - HEADER_SIZE);
  return frame;
}

/**
 * The MESSAGE frame of an at-most-once team message. Without the RELIABLE flag it carries no
 * session sequence number, so one encoding serves every session that speaks `codec`: a hub may
 * send the same bytes to all of them.
 */
export function unreliableMessageFrame(codec: Codec, message: TeamMessage): Uint8Array {
  return payloadFrame(codec, FrameType.MESSAGE, 0, 0, messagePayload(message));
}
