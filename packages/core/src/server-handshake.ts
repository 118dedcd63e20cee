import * as CloseCode from './close-code.js';
import * as ErrorCode from './error-code.js';
import { decodeFrame, encodeFrame, HEADER_SIZE } from './frame.js';
import { type ClientHello, decodeClientHello, encodeServerHello, type ServerHello } from './hello.js';
import { type Negotiated, negotiate, type ServerOffer } from './negotiate.js';
import * as Flag from './flag.js';
import * as FrameType from './frame-type.js';
import { PROTOCOL_VERSION } from './opcodes.js';
import type { ServerSession } from './server-session.js';
import type { ConnectionInfo, Principal, Transport } from './transport.js';

/** Why the server turns a connection away: the ERROR the client gets, then the close code. */
export interface HandshakeRefusal {
  readonly ok: false;
  readonly code: number;
  readonly message: string;
  readonly closeCode: number;
}

export interface Admission {
  readonly ok: true;
  readonly principal: Principal;
  readonly negotiated: Negotiated;
}

function refusal(code: number, message: string, closeCode: number): HandshakeRefusal {
  return { ok: false, code, message, closeCode };
}

/**
 * The first frame of a connection, read as a client HELLO: too large (413, judged before it is
 * parsed, since its sender is not authenticated yet), not a HELLO, or not a valid one (400).
 */
export function readHello(bytes: Uint8Array, maxHelloBytes: number): { readonly ok: true; readonly hello: ClientHello } | HandshakeRefusal {
  if (bytes.byteLength > HEADER_SIZE + maxHelloBytes) {
    const message = `HELLO of ${bytes.byteLength - HEADER_SIZE} bytes exceeds the server's limit of ${maxHelloBytes}`;
    return refusal(ErrorCode.FRAME_TOO_LARGE, message, CloseCode.FRAME_TOO_LARGE);
  }
  try {
    const frame = decodeFrame(bytes);
    if (frame.type !== FrameType.HELLO || frame.flags & Flag.REPLY) return refusal(ErrorCode.BAD_FRAME, 'the first frame must be HELLO', CloseCode.BAD_FRAME);
    return { ok: true, hello: decodeClientHello(frame.payload) };
  } catch (error) {
    return refusal(ErrorCode.BAD_FRAME, `bad HELLO: ${error instanceof Error ? error.message : String(error)}`, CloseCode.BAD_FRAME);
  }
}

export interface AdmissionRules {
  readonly offer: ServerOffer;
  /** The server's authenticate hook (or the anonymous principal), for a connection the transport did not authenticate. */
  authenticate(token: string | undefined, info: ConnectionInfo): Promise<Principal | undefined>;
  readonly maxAgentIdLength: number;
}

/**
 * Who may go on with this HELLO, in the order a client learns it: what any server would refuse
 * (version, codec), then authentication (401), then what only an authenticated client may learn
 * (namespaces, the namespace's `authorize`, the agent id's length).
 */
export async function admit(hello: ClientHello, info: ConnectionInfo, rules: AdmissionRules): Promise<Admission | HandshakeRefusal> {
  const n = negotiate(hello, rules.offer);
  if (!n.ok && n.stage === 'hello') return refusal(n.code, n.message, n.closeCode);
  const principal = info.principal ?? (await rules.authenticate(hello.token, info));
  if (!principal) return refusal(ErrorCode.UNAUTHORIZED, 'missing or invalid token', CloseCode.UNAUTHORIZED);
  if (!n.ok) return refusal(n.code, n.message, n.closeCode);
  if (n.rule.authorize && !(await n.rule.authorize(principal, n.namespace))) {
    return refusal(ErrorCode.FORBIDDEN, `"${principal.id}" may not use namespace ${n.namespace}`, CloseCode.FORBIDDEN);
  }
  const limit = rules.maxAgentIdLength;
  if (hello.agent !== undefined && hello.agent.length > limit) {
    return refusal(ErrorCode.BAD_FRAME, `HELLO.agent is ${hello.agent.length} characters; the limit is ${limit}`, CloseCode.BAD_FRAME);
  }
  return { ok: true, principal, negotiated: n };
}

export interface HandshakeOptions {
  readonly timeoutMs: number;
  readonly maxHelloBytes: number;
  /** Connections still in the handshake: added now, taken out when it ends either way. */
  readonly pending: Set<Transport>;
  /** Takes the client from its HELLO into a session; a rejection is reported and refused with 503. */
  handshake(hello: ClientHello): Promise<void>;
  report(error: unknown): void;
}

/**
 * Starts a freshly accepted transport on the handshake: its first frame must be a HELLO within
 * `timeoutMs` (else close 4408); frames after it and before the reply are dropped.
 */
export function startHandshake(transport: Transport, options: HandshakeOptions): void {
  const { pending } = options;
  pending.add(transport);
  const timer = setTimeout(() => void transport.close(CloseCode.HANDSHAKE_TIMEOUT, 'no HELLO in time'), options.timeoutMs);
  const done = () => {
    clearTimeout(timer);
    pending.delete(transport);
  };
  transport.onclose = done;
  transport.onframe = (bytes) => {
    transport.onframe = ignore; // one HELLO; anything before the reply is a client bug
    const read = readHello(bytes, options.maxHelloBytes);
    if (!read.ok) return refuseConnection(transport, read);
    void options.handshake(read.hello).then(done, (error: unknown) => {
      clearTimeout(timer);
      options.report(error);
      refuseConnection(transport, { code: ErrorCode.UNAVAILABLE, message: 'handshake failed', closeCode: CloseCode.SERVER_SHUTDOWN });
    });
  };
  transport.start();
}

/** A transport's frame handler that drops what it gets. */
const ignore = (): void => {};

/** What the HELLO reply says besides the session's own fields: whether it resumed, the agent, and the server's limits. */
export interface ReplyFields {
  readonly resumed: boolean;
  readonly agent: ServerHello['agent'];
  readonly maxFrame: number;
  readonly maxInflight: number;
}

/** The HELLO reply goes out alone; what follows (replayed frames first) may be batched. */
export function sendHelloReply(transport: Transport, session: ServerSession, n: Negotiated, fields: ReplyFields): void {
  const reply = encodeServerHello({
    version: PROTOCOL_VERSION,
    codec: session.codec.name,
    maxFrame: fields.maxFrame,
    heartbeatMs: session.heartbeatMs,
    maxInflight: fields.maxInflight,
    sessionId: session.sessionId,
    resumeToken: session.resumeToken,
    resumed: fields.resumed,
    lastReceived: session.chan.lastReceived,
    agent: fields.agent,
    namespace: n.namespace,
    agentId: session.agentId,
    batch: n.batch,
    piggyback: n.piggyback,
    lean: n.lean,
  });
  transport.send(encodeFrame(FrameType.HELLO, Flag.REPLY, 0, reply));
  if (n.batch) transport.enableBatching?.();
}

/** Sends the refusal as ERROR on request 0, then closes with its close code. */
export function refuseConnection(transport: Transport, r: Pick<HandshakeRefusal, 'code' | 'message' | 'closeCode'>): void {
  try {
    transport.send(encodeFrame(FrameType.ERROR, 0, 0, new TextEncoder().encode(JSON.stringify({ code: r.code, message: r.message }))));
  } catch {
    // already closed
  }
  void transport.close(r.closeCode, r.message.slice(0, 120));
}

/** Compares resume tokens in time independent of where they differ. */
export function sameToken(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** 48 hex characters from the platform's CSPRNG. */
export function randomToken(): string {
  const bytes = new Uint8Array(24);
  crypto.getRandomValues(bytes);
  // Joined: built with +=, the token would be a rope of 20-odd string objects until first compared.
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
