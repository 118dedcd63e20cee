import type { Codec, Delivery } from '@agentsocket/core';
import { expectRecord, isRecord, optNum, optStr, optUint, str, WireShapeError } from '@agentsocket/core/internal';

/** `dl` on the wire, as in ASP INVOKE (protocol.md §6). */
const DELIVERY_BY_WIRE: readonly Delivery[] = ['at-most-once', 'at-least-once', 'exactly-once'];
export const DELIVERY_TO_WIRE: Record<Delivery, number> = { 'at-most-once': 0, 'at-least-once': 1, 'exactly-once': 2 };

export function deliveryFromWire(value: number | undefined, what: string): Delivery {
  const delivery = DELIVERY_BY_WIRE[value ?? 1];
  if (delivery === undefined) throw new WireShapeError(`${what}.dl must be 0, 1 or 2`);
  return delivery;
}

/** Where and how the function reaches the relay later (docs/relay.md §5). */
export interface CallbackInfo {
  /** Base URL of the relay's callback API, ending in `/`. */
  url: string;
  token: string;
  /** When the token expires, ms since the epoch. */
  exp: number;
}

/** The body of `POST /invoke`, either format, as the function sees it (docs/relay.md §3). */
export interface InvokeRequest {
  /** `native` (v 1) or `compat` (the RFC's `{cid, payload}`). */
  format: 'native' | 'compat';
  cid: string;
  id: string;
  tool: string;
  args: unknown;
  delivery: Delivery;
  deadline: number | undefined;
  state: string | undefined;
  principal: string | undefined;
  ns: string | undefined;
  agent: string | undefined;
  traceparent: string | undefined;
  callback: CallbackInfo | undefined;
}

/** Encodes a native request body. Keys in the order of docs/relay.md §3.1. */
export function encodeInvokeRequest(r: Omit<InvokeRequest, 'format'>, codec: Codec): Uint8Array {
  const body: Record<string, unknown> = { v: 1, cid: r.cid, id: r.id, tool: r.tool, args: r.args ?? {}, dl: DELIVERY_TO_WIRE[r.delivery] };
  if (r.deadline !== undefined) body['deadline'] = r.deadline;
  if (r.state !== undefined) body['state'] = r.state;
  if (r.principal !== undefined) body['principal'] = r.principal;
  if (r.ns !== undefined) body['ns'] = r.ns;
  if (r.agent !== undefined) body['agent'] = r.agent;
  if (r.traceparent !== undefined) body['tp'] = r.traceparent;
  if (r.callback !== undefined) body['callback'] = r.callback;
  return codec.encode(body);
}

/** Encodes a compatibility-mode body: `{"cid": …, "payload": <the ASP INVOKE payload>}`, JSON. */
export function encodeCompatRequest(r: Pick<InvokeRequest, 'cid' | 'id' | 'tool' | 'args' | 'delivery' | 'traceparent'>): Uint8Array {
  const payload: Record<string, unknown> = { id: r.id, tool: r.tool, args: r.args ?? {}, dl: DELIVERY_TO_WIRE[r.delivery] };
  if (r.traceparent !== undefined) payload['tp'] = r.traceparent;
  return new TextEncoder().encode(JSON.stringify({ cid: r.cid, payload }));
}

/** Decodes either body format. Throws WireShapeError (the function answers HTTP 400). */
export function parseInvokeRequest(value: unknown): InvokeRequest {
  const r = expectRecord(value, 'request');
  if (r['v'] === undefined && isRecord(r['payload'])) {
    const p = r['payload'];
    return {
      format: 'compat',
      cid: str(r, 'cid', 'request'),
      id: str(p, 'id', 'payload'),
      tool: str(p, 'tool', 'payload'),
      args: p['args'] ?? {},
      delivery: deliveryFromWire(optUint(p, 'dl', 'payload'), 'payload'),
      deadline: undefined,
      state: undefined,
      principal: undefined,
      ns: undefined,
      agent: undefined,
      traceparent: optStr(p, 'tp', 'payload'),
      callback: undefined,
    };
  }
  if (r['v'] !== 1) throw new WireShapeError('request.v must be 1');
  return {
    format: 'native',
    cid: str(r, 'cid', 'request'),
    id: str(r, 'id', 'request'),
    tool: str(r, 'tool', 'request'),
    args: r['args'] ?? {},
    delivery: deliveryFromWire(optUint(r, 'dl', 'request'), 'request'),
    deadline: optNum(r, 'deadline', 'request'),
    state: optStr(r, 'state', 'request'),
    principal: optStr(r, 'principal', 'request'),
    ns: optStr(r, 'ns', 'request'),
    agent: optStr(r, 'agent', 'request'),
    traceparent: optStr(r, 'tp', 'request'),
    callback: parseCallback(r['callback']),
  };
}

function parseCallback(value: unknown): CallbackInfo | undefined {
  if (value === undefined || value === null) return undefined;
  const c = expectRecord(value, 'callback');
  const exp = optNum(c, 'exp', 'callback');
  if (exp === undefined) throw new WireShapeError('callback.exp is required');
  return { url: str(c, 'url', 'callback'), token: str(c, 'token', 'callback'), exp };
}

/** The body of `POST /cancel` (docs/relay.md §3.4): which exactly-once call the client interrupted. */
export interface CancelRequest {
  id: string;
  principal: string | undefined;
}

export function encodeCancelRequest(r: CancelRequest, codec: Codec): Uint8Array {
  const body: Record<string, unknown> = { v: 1, id: r.id };
  if (r.principal !== undefined) body['principal'] = r.principal;
  return codec.encode(body);
}

export function parseCancelRequest(value: unknown): CancelRequest {
  const r = expectRecord(value, 'body');
  const v = optUint(r, 'v', 'body');
  if (v !== 1) throw new WireShapeError('body.v must be 1');
  return { id: str(r, 'id', 'body'), principal: optStr(r, 'principal', 'body') };
}
