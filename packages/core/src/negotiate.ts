import * as CloseCode from './close-code.js';
import * as ErrorCode from './error-code.js';
import type { ClientHello } from './hello.js';
import { DEFAULT_NAMESPACE, findRule, isNamespaceName, type NamespaceRule } from './teams.js';

/** What a server offers a connecting client: its options, and what the connection allows. */
export interface ServerOffer {
  /** The protocol version the server speaks. */
  readonly version: number;
  /** Codecs the server speaks; the client's first choice among them wins. */
  readonly codecs: readonly string[];
  /** The server's heartbeat interval, ms: the longest a client may propose. */
  readonly heartbeatMs: number;
  /** The server accepts several frames per transport message (AgentServerOptions.batch, and the transport can). */
  readonly batch: boolean;
  /** The server takes and sends `ack` in any payload (AgentServerOptions.piggybackAcks). */
  readonly piggyback: boolean;
  /** The server speaks the lean envelope (AgentServerOptions.lean). */
  readonly lean: boolean;
  /** Team namespace rules (TeamsOptions.namespaces); undefined: every namespace is open. */
  readonly namespaces: NamespaceRule[] | undefined;
  /** The namespace the connection itself names (a Socket.IO namespace, a URL path), if any. */
  readonly connectionNamespace: string | undefined;
}

/** The settings both ends go on with. */
export interface Negotiated {
  readonly ok: true;
  readonly version: number;
  readonly codec: string;
  /** Heartbeat interval for a new session, ms: the client's proposal, at most the server's (never 0). */
  readonly heartbeatMs: number;
  readonly namespace: string;
  /** The rule that governs the namespace (its `authorize` is still to be asked, with the principal). */
  readonly rule: NamespaceRule;
  /** Both ends may send several frames in one transport message. */
  readonly batch: boolean;
  /** Both ends may carry `ack` in any frame's payload. */
  readonly piggyback: boolean;
  /** Both ends may send INVOKE, STREAM and COMPLETE in the lean form (protocol.md §6). */
  readonly lean: boolean;
}

/**
 * Why a HELLO is refused: the ERROR and close code the client gets, and the stage of the handshake
 * at which the server says so. `hello`: at once; `admission`: once the client is authenticated
 * (an unauthenticated client learns nothing about the server's namespaces).
 */
export interface Refusal {
  readonly ok: false;
  readonly code: number;
  readonly message: string;
  readonly closeCode: number;
  readonly stage: 'hello' | 'admission';
}

function refuse(stage: Refusal['stage'], code: number, message: string, closeCode: number): Refusal {
  return { ok: false, code, message, closeCode, stage };
}

/**
 * HELLO negotiation (protocol.md §7), as one pure function: the client's HELLO against the
 * server's offer gives the settings both ends go on with, or the first refusal. What needs the
 * client's principal (authentication, the namespace rule's `authorize`, who may take an agent id)
 * is the server's to check, around it.
 */
export function negotiate(hello: ClientHello, offer: ServerOffer): Negotiated | Refusal {
  if (!hello.versions.includes(offer.version)) {
    return refuse('hello', ErrorCode.UNSUPPORTED_VERSION, `server speaks ASP version ${offer.version}`, CloseCode.UNSUPPORTED_VERSION);
  }
  const codec = hello.codecs.find((c) => offer.codecs.includes(c));
  if (codec === undefined) {
    return refuse('hello', ErrorCode.UNSUPPORTED_CODEC, `server speaks ${offer.codecs.join(', ')}`, CloseCode.UNSUPPORTED_CODEC);
  }
  const asked = hello.namespace;
  const connected = offer.connectionNamespace;
  if (connected !== undefined && asked !== undefined && connected !== asked) {
    return refuse('admission', ErrorCode.FORBIDDEN, `connected to namespace ${connected} but HELLO asks for ${asked}`, CloseCode.FORBIDDEN);
  }
  const namespace = asked ?? connected ?? DEFAULT_NAMESPACE;
  const rule = isNamespaceName(namespace) ? findRule(offer.namespaces, namespace) : undefined;
  if (!rule) return refuse('admission', ErrorCode.FORBIDDEN, `no namespace ${JSON.stringify(namespace)} here`, CloseCode.FORBIDDEN);
  return {
    ok: true,
    version: offer.version,
    codec,
    // A client cannot switch the server's liveness check off by proposing 0.
    heartbeatMs: hello.heartbeatMs > 0 ? Math.min(hello.heartbeatMs, offer.heartbeatMs) : offer.heartbeatMs,
    namespace,
    rule,
    batch: hello.batch === true && offer.batch,
    piggyback: hello.piggyback === true && offer.piggyback,
    lean: hello.lean === true && offer.lean,
  };
}
