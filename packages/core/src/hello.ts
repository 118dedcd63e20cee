import { WireShapeError, expectRecord, optBool, optStr, optUint, str, strArray, uint } from './wire.js';
import { parseToolInfo, type ToolInfo } from './messages.js';
import { checkJsonShape } from './payload-limits.js';
import { DEFAULT_HEARTBEAT_MS, DEFAULT_MAX_FRAME_BYTES, DEFAULT_MAX_INFLIGHT } from './defaults.js';

/**
 * HELLO payloads are always UTF-8 JSON, whatever codec the session then uses, so the codec
 * can be negotiated and a peer that only wants JSON needs no MessagePack library.
 */

export interface ClientHello {
  /** Protocol versions the client speaks. */
  versions: number[];
  /** Codecs the client accepts, preferred first. */
  codecs: string[];
  /** Largest frame payload the client accepts, in bytes. */
  maxFrame: number;
  /** Heartbeat interval the client proposes, in ms. */
  heartbeatMs: number;
  /** Requests the client lets the server have in flight towards it. */
  maxInflight: number;
  token?: string;
  /** The client's agent id, if it has one. */
  agent?: string;
  /** Tools the client serves (for server→client invokes). */
  tools?: ToolInfo[];
  /** Namespace (team) to join. @default "/" */
  namespace?: string;
  /** The client accepts transport messages carrying several frames (protocol.md §2), and sends them if the server does too. */
  batch?: boolean;
  /** The client takes `ack` in any frame's payload (protocol.md §11), and would send it if the server does too. */
  piggyback?: boolean;
  /** The client speaks the lean envelope (protocol.md §6) and would use it if the server does too. */
  lean?: boolean;
  /**
   * `busy`: request ids of server→client requests still running here. A server that restores the
   * session from a store (another node) does not know them: it interrupts them and does not reuse
   * their ids until their terminal frames arrive.
   */
  resume?: { sessionId: string; resumeToken: string; lastReceived: number; busy?: number[] };
}

export interface ServerHello {
  version: number;
  codec: string;
  maxFrame: number;
  heartbeatMs: number;
  maxInflight: number;
  sessionId: string;
  resumeToken: string;
  resumed: boolean;
  /** Highest session sequence number the server has received from the client. */
  lastReceived: number;
  agent: { name: string; version?: string; tools: ToolInfo[] };
  /** The namespace the session belongs to. */
  namespace: string;
  /** The id other agents address this client by. */
  agentId: string;
  /** Both ends may now send several frames in one transport message (only when the client offered it). */
  batch?: boolean;
  /** Both ends may now carry `ack` in any frame's payload (only when the client offered it). */
  piggyback?: boolean;
  /** Both ends may now send INVOKE, STREAM and COMPLETE in the lean form (only when the client offered it). */
  lean?: boolean;
}

const te = new TextEncoder();
const td = new TextDecoder('utf-8', { fatal: true });

export function encodeClientHello(h: ClientHello): Uint8Array {
  const wire: Record<string, unknown> = {
    v: h.versions,
    codecs: h.codecs,
    maxFrame: h.maxFrame,
    hb: h.heartbeatMs,
    maxInflight: h.maxInflight,
  };
  if (h.token !== undefined) wire['token'] = h.token;
  if (h.agent !== undefined) wire['agent'] = h.agent;
  if (h.tools !== undefined) wire['tools'] = h.tools;
  if (h.namespace !== undefined) wire['ns'] = h.namespace;
  if (h.batch) wire['batch'] = true;
  if (h.piggyback) wire['piggyback'] = true;
  if (h.lean) wire['lean'] = true;
  if (h.resume) {
    const res: Record<string, unknown> = { sid: h.resume.sessionId, rt: h.resume.resumeToken, last: h.resume.lastReceived };
    if (h.resume.busy && h.resume.busy.length > 0) res['busy'] = h.resume.busy;
    wire['resume'] = res;
  }
  return te.encode(JSON.stringify(wire));
}

export function encodeServerHello(h: ServerHello): Uint8Array {
  return te.encode(
    JSON.stringify({
      v: h.version,
      codec: h.codec,
      maxFrame: h.maxFrame,
      hb: h.heartbeatMs,
      maxInflight: h.maxInflight,
      sid: h.sessionId,
      rt: h.resumeToken,
      resumed: h.resumed,
      last: h.lastReceived,
      agent: h.agent,
      ns: h.namespace,
      aid: h.agentId,
      ...(h.batch ? { batch: true } : {}),
      ...(h.piggyback ? { piggyback: true } : {}),
      ...(h.lean ? { lean: true } : {}),
    }),
  );
}

function parseJson(bytes: Uint8Array, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    // Before JSON.parse: a HELLO arrives before its sender is authenticated.
    checkJsonShape(bytes);
  } catch (cause) {
    throw new WireShapeError(`${what} ${cause instanceof Error ? cause.message.replace(/^payload /, '') : 'is malformed'}`, { cause });
  }
  try {
    value = JSON.parse(td.decode(bytes));
  } catch (cause) {
    throw new WireShapeError(`${what} payload is not UTF-8 JSON`, { cause });
  }
  return expectRecord(value, what);
}

export function decodeClientHello(bytes: Uint8Array): ClientHello {
  const what = 'HELLO';
  const r = parseJson(bytes, what);
  const versions = r['v'];
  if (!Array.isArray(versions) || !versions.every((x) => typeof x === 'number')) {
    throw new WireShapeError('HELLO.v must be an array of version numbers');
  }
  const h: ClientHello = {
    versions,
    codecs: strArray(r, 'codecs', what),
    maxFrame: optUint(r, 'maxFrame', what) ?? DEFAULT_MAX_FRAME_BYTES,
    heartbeatMs: optUint(r, 'hb', what) ?? DEFAULT_HEARTBEAT_MS,
    maxInflight: optUint(r, 'maxInflight', what) ?? DEFAULT_MAX_INFLIGHT,
  };
  const token = optStr(r, 'token', what);
  if (token !== undefined) h.token = token;
  const agent = optStr(r, 'agent', what);
  if (agent !== undefined) h.agent = agent;
  const ns = optStr(r, 'ns', what);
  if (ns !== undefined) h.namespace = ns;
  if (optBool(r, 'batch', what) === true) h.batch = true;
  if (optBool(r, 'piggyback', what) === true) h.piggyback = true;
  if (optBool(r, 'lean', what) === true) h.lean = true;
  if (Array.isArray(r['tools'])) h.tools = r['tools'].map((t, i) => parseToolInfo(t, `HELLO.tools[${i}]`));
  if (r['resume'] !== undefined && r['resume'] !== null) {
    const res = expectRecord(r['resume'], 'HELLO.resume');
    h.resume = {
      sessionId: str(res, 'sid', 'HELLO.resume'),
      resumeToken: str(res, 'rt', 'HELLO.resume'),
      lastReceived: uint(res, 'last', 'HELLO.resume'),
    };
    const busy = res['busy'];
    if (busy !== undefined && busy !== null) {
      if (!Array.isArray(busy) || !busy.every((b) => typeof b === 'number' && Number.isInteger(b) && b > 0 && b <= 0xffff)) {
        throw new WireShapeError('HELLO.resume.busy must be an array of request ids');
      }
      h.resume.busy = busy;
    }
  }
  return h;
}

export function decodeServerHello(bytes: Uint8Array): ServerHello {
  const what = 'HELLO reply';
  const r = parseJson(bytes, what);
  const agentRaw = expectRecord(r['agent'], `${what}.agent`);
  const tools = agentRaw['tools'];
  if (!Array.isArray(tools)) throw new WireShapeError(`${what}.agent.tools must be an array`);
  const agent: ServerHello['agent'] = {
    name: str(agentRaw, 'name', `${what}.agent`),
    tools: tools.map((t, i) => parseToolInfo(t, `${what}.agent.tools[${i}]`)),
  };
  const version = optStr(agentRaw, 'version', `${what}.agent`);
  if (version !== undefined) agent.version = version;
  return {
    version: uint(r, 'v', what),
    codec: str(r, 'codec', what),
    maxFrame: uint(r, 'maxFrame', what),
    heartbeatMs: uint(r, 'hb', what),
    maxInflight: uint(r, 'maxInflight', what),
    sessionId: str(r, 'sid', what),
    resumeToken: str(r, 'rt', what),
    resumed: optBool(r, 'resumed', what) ?? false,
    lastReceived: optUint(r, 'last', what) ?? 0,
    agent,
    namespace: optStr(r, 'ns', what) ?? '/',
    agentId: optStr(r, 'aid', what) ?? '',
    ...(optBool(r, 'batch', what) === true ? { batch: true } : {}),
    ...(optBool(r, 'piggyback', what) === true ? { piggyback: true } : {}),
    ...(optBool(r, 'lean', what) === true ? { lean: true } : {}),
  };
}
