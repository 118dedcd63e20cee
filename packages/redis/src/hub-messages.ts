import {
  AgentSocketError,
  type AgentSocketErrorCode,
  type CallMetrics,
  type Delivery,
  LocalErrorWireCode,
  ProtocolError,
  type TeamMessage,
} from '@agentsocket/core';
import { msgpackCodec } from '@agentsocket/core/internal';
import { DecodeError, fields, type Fields, int, num, optInt, optText, text, texts } from './decode.js';

/** How an error crosses between nodes: wire errors keep their code, local ones their string code. */
export type CarriedError =
  | { kind: 'protocol'; code: number; message: string; data?: unknown }
  | { kind: 'local'; code: AgentSocketErrorCode; message: string };

/** What hub instances say to each other on their pub/sub channels. */
export type BusMessage =
  /** Hand `message` to these local agents of `ns`. */
  | { type: 'deliver'; ns: string; agents: string[]; message: TeamMessage }
  /** Run a call on local agent `to`; answers go to instance `from` under `rid`. */
  | {
      type: 'invoke';
      from: string;
      rid: number;
      ns: string;
      to: string;
      tool: string;
      args: unknown;
      delivery: Delivery;
      traceparent?: string;
      timeoutMs?: number;
      /** The caller's own message id (InvokeOptions.messageId). */
      messageId?: string;
      /** The caller asked for the COMPLETE's metrics (InvokeOptions.metrics). */
      metrics?: true;
    }
  /** The caller's signal fired (or it forgot the call). */
  | { type: 'interrupt'; from: string; rid: number; reason: string }
  | { type: 'chunk'; from: string; rid: number; seq: number; data: unknown }
  | { type: 'complete'; from: string; rid: number; value: unknown; metrics: CallMetrics }
  | { type: 'error'; from: string; rid: number; error: CarriedError }
  /** Instance `from` took over this session: store what you journaled for it, then say 'handed'. */
  | { type: 'handoff'; from: string; rid: number; sessionId: string }
  | { type: 'handed'; from: string; rid: number };

const codec = msgpackCodec();

export function encodeBus(message: BusMessage): Buffer {
  const bytes = codec.encode(message);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Decodes and checks a bus message; throws DecodeError on anything malformed. */
export function decodeBus(bytes: Uint8Array): BusMessage {
  const what = 'bus message';
  // A plain view: binary values then decode as Uint8Array, as they would off the wire.
  const r = fields(codec.decode(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)), what);
  const type = text(r, 'type', what);
  switch (type) {
    case 'deliver':
      return { type, ns: text(r, 'ns', what), agents: texts(r, 'agents', what), message: teamMessage(r['message']) };
    case 'invoke': {
      const m: BusMessage = {
        type,
        from: text(r, 'from', what),
        rid: int(r, 'rid', what),
        ns: text(r, 'ns', what),
        to: text(r, 'to', what),
        tool: text(r, 'tool', what),
        args: r['args'],
        delivery: delivery(text(r, 'delivery', what)),
      };
      const tp = optText(r, 'traceparent', what);
      if (tp !== undefined) m.traceparent = tp;
      const timeoutMs = optInt(r, 'timeoutMs', what);
      if (timeoutMs !== undefined) m.timeoutMs = timeoutMs;
      const messageId = optText(r, 'messageId', what);
      if (messageId !== undefined) m.messageId = messageId;
      if (r['metrics'] === true) m.metrics = true;
      return m;
    }
    case 'interrupt':
      return { type, from: text(r, 'from', what), rid: int(r, 'rid', what), reason: text(r, 'reason', what) };
    case 'chunk':
      return { type, from: text(r, 'from', what), rid: int(r, 'rid', what), seq: int(r, 'seq', what), data: r['data'] };
    case 'complete':
      return { type, from: text(r, 'from', what), rid: int(r, 'rid', what), value: r['value'], metrics: metrics(r['metrics']) };
    case 'error':
      return { type, from: text(r, 'from', what), rid: int(r, 'rid', what), error: carried(r['error']) };
    case 'handoff':
      return { type, from: text(r, 'from', what), rid: int(r, 'rid', what), sessionId: text(r, 'sessionId', what) };
    case 'handed':
      return { type, from: text(r, 'from', what), rid: int(r, 'rid', what) };
    default:
      throw new DecodeError(`unknown bus message type ${JSON.stringify(type)}`);
  }
}

function teamMessage(value: unknown): TeamMessage {
  const what = 'team message';
  const r = fields(value, what);
  const m: TeamMessage = {
    id: text(r, 'id', what),
    event: text(r, 'event', what),
    data: r['data'],
    from: text(r, 'from', what),
    delivery: delivery(text(r, 'delivery', what)),
  };
  const room = optText(r, 'room', what);
  if (room !== undefined) m.room = room;
  return m;
}

function delivery(value: string): Delivery {
  if (value === 'at-most-once' || value === 'at-least-once' || value === 'exactly-once') return value;
  throw new DecodeError(`unknown delivery ${JSON.stringify(value)}`);
}

function metrics(value: unknown): CallMetrics {
  const r: Fields = fields(value, 'metrics');
  const m: CallMetrics = { durationMs: num(r, 'durationMs', 'metrics'), chunks: int(r, 'chunks', 'metrics') };
  if (r['cpuMs'] !== undefined) m.cpuMs = num(r, 'cpuMs', 'metrics');
  return m;
}

function isLocalCode(code: string): code is AgentSocketErrorCode {
  // Core's table lists every local error code once.
  return Object.hasOwn(LocalErrorWireCode, code);
}

function carried(value: unknown): CarriedError {
  const what = 'error';
  const r = fields(value, what);
  const kind = text(r, 'kind', what);
  if (kind === 'protocol') {
    const e: CarriedError = { kind, code: int(r, 'code', what), message: text(r, 'message', what) };
    if (r['data'] !== undefined && r['data'] !== null) e.data = r['data'];
    return e;
  }
  const code = text(r, 'code', what);
  if (kind !== 'local' || !isLocalCode(code)) throw new DecodeError(`unknown error ${kind}/${code}`);
  return { kind, code, message: text(r, 'message', what) };
}

/** What a Call failed with, in a form another node can rebuild. */
export function carry(error: unknown): CarriedError {
  if (error instanceof ProtocolError) {
    return error.data === undefined
      ? { kind: 'protocol', code: error.code, message: error.message }
      : { kind: 'protocol', code: error.code, message: error.message, data: error.data };
  }
  if (error instanceof AgentSocketError) return { kind: 'local', code: error.code, message: error.message };
  return { kind: 'protocol', code: 500, message: error instanceof Error ? error.message : String(error) };
}

export function rebuild(e: CarriedError): Error {
  return e.kind === 'protocol'
    ? new ProtocolError(e.code, e.message, e.data === undefined ? undefined : { data: e.data })
    : new AgentSocketError(e.code, e.message);
}
