import { AgentSocketError, type AgentSocketErrorCode, type CallMetrics, type Delivery, LocalErrorWireCode, type Target, type TeamMessage } from '@agentsocket/core';
import { checkMessageId } from '@agentsocket/core/internal';

/** The server-side event hub requests travel on between nodes (the adapter's serverSideEmit). */
export const HUB_EVENT = 'asp:hub';

/**
 * What one node asks of the others. `claim`, `send` and `invoke` expect an answer from every
 * node; the rest stream an agent-to-agent call between the caller's node and the callee's.
 */
export type HubRequest =
  /** Is agent `agentId` connected on your node under another session? */
  | { type: 'claim'; ns: string; agentId: string; sessionId: string }
  /** Deliver `message` to your members matching the target (or, without one, count them). */
  | { type: 'send'; ns: string; target: Target; except?: string; message?: TeamMessage }
  /**
   * If agent `to` is yours, run this call on it and stream back to node `from`. `call` names the
   * call between the two nodes; `messageId`, `traceparent` and `metrics` are the caller's
   * InvokeOptions, given to the callee's invoke as they are. `timeoutMs` is the caller's too: the
   * callee's node interrupts the call when it passes.
   */
  | {
      type: 'invoke';
      from: string;
      call: string;
      ns: string;
      to: string;
      tool: string;
      args: unknown;
      delivery: Delivery;
      timeoutMs?: number;
      /** The caller's own message id (InvokeOptions.messageId): the callee's exactly-once dedup keys on it. */
      messageId?: string;
      /** W3C traceparent (InvokeOptions.traceparent); a string, unchecked beyond that, as core's INVOKE `tp`. */
      traceparent?: string;
      /** The caller asked for the outcome's metrics (InvokeOptions.metrics). */
      metrics?: true;
    }
  /** Who is there? (A caller's node checks that the nodes running its calls are alive.) */
  | { type: 'ping' }
  /** The caller gave up on call `call` of node `from` (its signal aborted, or its timeoutMs passed). */
  | { type: 'interrupt'; from: string; call: string; reason: string }
  | { type: 'chunk'; node: string; call: string; seq: number; data: unknown }
  | { type: 'end'; node: string; call: string; outcome: Outcome };

/**
 * How a call ended. A failure's `code` is always a wire code: a ProtocolError's own, a local
 * error's from core's LocalErrorWireCode, else 500. A local error (AgentSocketError) also names its
 * string code in `local`, so the caller's node rebuilds the same AgentSocketError; a node that does
 * not read `local` still has the right wire code.
 */
export type Outcome =
  | { ok: true; value: unknown; metrics: CallMetrics }
  | { ok: false; code: number; message: string; data?: unknown; local?: AgentSocketErrorCode };

export type HubAnswer =
  | { type: 'claim'; conflict: boolean }
  | { type: 'send'; count: number }
  | { type: 'invoke'; node: string; accepted: boolean }
  | { type: 'ping'; node: string };

/** Thrown for anything from another node that is not a well-formed hub message. */
export class HubProtocolError extends AgentSocketError {
  override readonly name: string = 'HubProtocolError';

  constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_MESSAGE', message, options);
  }
}

type Rec = Record<string, unknown>;

function isRec(value: unknown): value is Rec {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(r: Rec, key: string): string {
  const v = r[key];
  if (typeof v !== 'string') throw new HubProtocolError(`${key} must be a string`);
  return v;
}

function optStr(r: Rec, key: string): string | undefined {
  return r[key] === undefined || r[key] === null ? undefined : str(r, key);
}

function num(r: Rec, key: string): number {
  const v = r[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new HubProtocolError(`${key} must be a non-negative number`);
  return v;
}

function optNum(r: Rec, key: string): number | undefined {
  return r[key] === undefined || r[key] === null ? undefined : num(r, key);
}

function optTrue(r: Rec, key: string): true | undefined {
  const v = r[key];
  if (v === undefined || v === null || v === false) return undefined;
  if (v !== true) throw new HubProtocolError(`${key} must be a boolean`);
  return true;
}

/** A caller's message id, held to core's rule (1 to 128 of `0-9 A-Z a-z - _ . : ~`). */
function optMessageId(r: Rec): string | undefined {
  const v = r['messageId'];
  if (v === undefined || v === null) return undefined;
  try {
    return checkMessageId(v);
  } catch (error) {
    throw new HubProtocolError(error instanceof Error ? error.message : String(error), { cause: error });
  }
}

function rec(value: unknown, what: string): Rec {
  if (!isRec(value)) throw new HubProtocolError(`${what} must be an object`);
  return value;
}

const DELIVERIES: readonly Delivery[] = ['at-most-once', 'at-least-once', 'exactly-once'];

function delivery(r: Rec): Delivery {
  const v = r['delivery'];
  const found = DELIVERIES.find((d) => d === v);
  if (!found) throw new HubProtocolError('delivery must be at-most-once, at-least-once or exactly-once');
  return found;
}

function target(value: unknown): Target {
  const r = rec(value, 'target');
  if (r['all'] === true) return { all: true };
  if (typeof r['room'] === 'string') return { room: r['room'] };
  return { to: str(r, 'to') };
}

function teamMessage(value: unknown): TeamMessage {
  const r = rec(value, 'message');
  const m: TeamMessage = { id: str(r, 'id'), event: str(r, 'event'), data: r['data'], from: str(r, 'from'), delivery: delivery(r) };
  const room = optStr(r, 'room');
  if (room !== undefined) m.room = room;
  return m;
}

function outcome(value: unknown): Outcome {
  const r = rec(value, 'outcome');
  if (r['ok'] === true) {
    const m = rec(r['metrics'], 'metrics');
    const metrics: CallMetrics = { durationMs: num(m, 'durationMs'), chunks: num(m, 'chunks') };
    const cpu = optNum(m, 'cpuMs');
    if (cpu !== undefined) metrics.cpuMs = cpu;
    return { ok: true, value: r['value'], metrics };
  }
  const failed: Outcome = { ok: false, code: num(r, 'code'), message: str(r, 'message') };
  if (r['data'] !== undefined && r['data'] !== null) failed.data = r['data'];
  const local = optStr(r, 'local');
  if (local !== undefined) {
    // Core's one table lists every local error code once, with the wire code it becomes.
    if (!isLocalCode(local)) throw new HubProtocolError(`unknown local error code ${JSON.stringify(local)}`);
    if (failed.code !== LocalErrorWireCode[local]) throw new HubProtocolError(`local error ${local} is wire code ${LocalErrorWireCode[local]}, not ${failed.code}`);
    failed.local = local;
  }
  return failed;
}

function isLocalCode(code: string): code is AgentSocketErrorCode {
  return Object.hasOwn(LocalErrorWireCode, code);
}

/** Validates a request from another node. Throws HubProtocolError. */
export function parseRequest(value: unknown): HubRequest {
  const r = rec(value, 'hub request');
  switch (r['type']) {
    case 'claim':
      return { type: 'claim', ns: str(r, 'ns'), agentId: str(r, 'agentId'), sessionId: str(r, 'sessionId') };
    case 'send': {
      const req: HubRequest = { type: 'send', ns: str(r, 'ns'), target: target(r['target']) };
      const except = optStr(r, 'except');
      if (except !== undefined) req.except = except;
      if (r['message'] !== undefined && r['message'] !== null) req.message = teamMessage(r['message']);
      return req;
    }
    case 'invoke': {
      const req: HubRequest = {
        type: 'invoke',
        from: str(r, 'from'),
        call: str(r, 'call'),
        ns: str(r, 'ns'),
        to: str(r, 'to'),
        tool: str(r, 'tool'),
        args: r['args'],
        delivery: delivery(r),
      };
      const timeoutMs = optNum(r, 'timeoutMs');
      if (timeoutMs !== undefined) req.timeoutMs = timeoutMs;
      const messageId = optMessageId(r);
      if (messageId !== undefined) req.messageId = messageId;
      const traceparent = optStr(r, 'traceparent');
      if (traceparent !== undefined) req.traceparent = traceparent;
      if (optTrue(r, 'metrics')) req.metrics = true;
      return req;
    }
    case 'ping':
      return { type: 'ping' };
    case 'interrupt':
      return { type: 'interrupt', from: str(r, 'from'), call: str(r, 'call'), reason: str(r, 'reason') };
    case 'chunk':
      return { type: 'chunk', node: str(r, 'node'), call: str(r, 'call'), seq: num(r, 'seq'), data: r['data'] };
    case 'end':
      return { type: 'end', node: str(r, 'node'), call: str(r, 'call'), outcome: outcome(r['outcome']) };
    default:
      throw new HubProtocolError(`unknown hub request type ${JSON.stringify(r['type'])}`);
  }
}

/** Validates one node's answer to a request of type `type`. Throws HubProtocolError. */
export function parseAnswer<K extends HubAnswer['type']>(type: K, value: unknown): Extract<HubAnswer, { type: K }>;
export function parseAnswer(type: HubAnswer['type'], value: unknown): HubAnswer {
  const r = rec(value, 'hub answer');
  if (r['type'] !== type) throw new HubProtocolError(`expected a ${type} answer`);
  switch (type) {
    case 'claim':
      return { type, conflict: r['conflict'] === true };
    case 'send':
      return { type, count: num(r, 'count') };
    case 'invoke':
      return { type, node: str(r, 'node'), accepted: r['accepted'] === true };
    case 'ping':
      return { type, node: str(r, 'node') };
  }
}
