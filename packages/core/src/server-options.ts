import type { DedupStore } from './dedup.js';
import {
  DEFAULT_MAX_RETAINED_REPLAY_BYTES,
  DEFAULT_MAX_SESSIONS_PER_PRINCIPAL,
  DEFAULT_SESSION_TTL_MS,
  DEFAULT_SLOW_CONSUMER_BYTES,
  DEFAULT_SLOW_CONSUMER_MS,
} from './defaults.js';
import type { ErrorEventLimit } from './error-limit.js';
import type { ServerInstrumentation } from './instrumentation.js';
import type { SlowConsumerBound } from './peer.js';
import type { WindowOptions } from './reliable.js';
import type { SessionLimits } from './session-registry.js';
import type { SessionStore } from './session-store.js';
import type { TeamsOptions } from './teams.js';
import type { ConnectionInfo, Principal } from './transport.js';

export interface AgentServerOptions {
  /**
   * Decides who a connection is. Called with the bearer token from the transport (e.g. the
   * Authorization header at the WebSocket upgrade) or, for browsers, from HELLO. Return
   * undefined to refuse (401). When absent, every connection is accepted anonymously.
   */
  authenticate?: (token: string | undefined, info: ConnectionInfo) => Principal | undefined | Promise<Principal | undefined>;
  /** Codecs the server speaks, preferred first. @default ['msgpack', 'json'] */
  codecs?: string[];
  /** Largest frame payload accepted, bytes. @default 16 MiB */
  maxFrameBytes?: number;
  /** Requests a client may have running here at once. @default 256 */
  maxInflight?: number;
  /** Heartbeat interval offered to clients (ms); the smaller of the two proposals wins. @default 30000 */
  heartbeatMs?: number;
  /**
   * Largest HELLO payload accepted, bytes. A HELLO arrives before its sender is authenticated, so
   * it is held to this, far below `maxFrameBytes`; a larger one is refused with ERROR 413 and close
   * 4413 before it is parsed. Transports also cut a connection that sends more than this (plus
   * their framing) before its HELLO has arrived whole. @default 256 KiB
   */
  maxHelloBytes?: number;
  /**
   * A client that stops reading: when its connection's outgoing backlog (the transport's
   * bufferedAmount) is above `slowConsumerBytes` at every heartbeat check for `slowConsumerMs`
   * and the client acknowledged nothing in that time, the connection is closed with 4429
   * SLOW_CONSUMER, whatever else the client sends (PINGs included). A client that still
   * acknowledges is slow, not stopped, and is left alone. Checked every heartbeat interval, so
   * the cut comes within `slowConsumerMs` + `hb`. The session stays resumable. @default 8 MiB
   */
  slowConsumerBytes?: number;
  /** See `slowConsumerBytes`; 0 disables the check. @default 30000 */
  slowConsumerMs?: number;
  /** Time allowed between connect and HELLO. @default 10000 */
  handshakeTimeoutMs?: number;
  /** How long a disconnected session waits for its client to resume. @default 60000 */
  sessionTtlMs?: number;
  /** Send window per session (bounds the replay buffer). */
  window?: WindowOptions;
  /** Where exactly-once outcomes are kept. @default a MemoryDedupStore */
  dedup?: DedupStore;
  /** How long exactly-once outcomes are kept, ms. @default 300000 */
  dedupTtlMs?: number;
  /** Namespaces, rooms and the hub that connects agents of a team. */
  teams?: TeamsOptions;
  /** Keeps session and replay state where another process can resume it. @default memory only */
  sessions?: SessionStore;
  /** This process's name as a session owner. @default a random id */
  nodeId?: string;
  /**
   * Agree to several frames per transport message when the client offers it and the transport
   * can (the WebSocket transport; protocol.md §2). @default true
   */
  batch?: boolean;
  /**
   * Agree to acknowledgements carried by other frames when the client offers it (protocol.md §11).
   * A server with a session store takes them but sends standalone ACKs, for what is journaled. @default true
   */
  piggybackAcks?: boolean;
  /**
   * Agree to the lean envelope when the client offers it (protocol.md §6): shorter INVOKE, STREAM
   * and COMPLETE payloads, ULID message ids as 16 bytes, COMPLETE metrics only when the caller
   * asks. Every server that may resume a session (one session store) should agree alike. @default true
   */
  lean?: boolean;
  /**
   * How many `error` events go out one by one: at most `max` per `intervalMs`, then one
   * `ERRORS_SUPPRESSED` summary with the count when the interval ends (protocol.md §21). `false`
   * emits every error. @default { max: 10, intervalMs: 10000 }
   */
  errorEvents?: ErrorEventLimit | false;
  /**
   * Sessions one principal may hold here, connected or waiting to be resumed; a new session
   * beyond it is refused with ERROR 429, close 4503 (try later) (a resume is not a new session). Not applied
   * to the one anonymous principal of a server without `authenticate` unless set. @default 1000
   */
  maxSessionsPerPrincipal?: number;
  /**
   * Unacknowledged bytes all sessions waiting to be resumed may keep together; past it the
   * longest-dropped ones end at once, as if expired (a resume then gets `resumed: false`). Each
   * session alone is bounded by its send window (`window.maxBytes`, 64 MiB). @default 256 MiB
   */
  maxRetainedReplayBytes?: number;
  /**
   * Largest tool list a client may build up with TOOL_DEF, bytes (estimated); a TOOL_DEF past it
   * is not applied and gets ERROR 413 on request 0 (the connection stays open). The list in
   * HELLO is bounded by maxHelloBytes. @default 1 MiB
   */
  maxClientToolBytes?: number;
  /** Longest agent id a HELLO may ask for, characters; longer gets ERROR 400, close 4400. @default 256 */
  maxAgentIdLength?: number;
  /** Observes connections (frames, bytes), e.g. `@agentsocket/otel`'s; sessions are observed through the events. @default none */
  instrumentation?: ServerInstrumentation;
}

export interface SessionInfo {
  readonly id: string;
  readonly principal: Principal | undefined;
  readonly connected: boolean;
  readonly namespace: string;
  readonly agentId: string;
}

/** The bounds on a server's sessions its options give, defaults filled in. */
export function sessionLimits(options: AgentServerOptions): SessionLimits {
  return {
    // The one anonymous principal of a server without authenticate is not limited unless asked.
    perPrincipal:
      !options.authenticate && options.maxSessionsPerPrincipal === undefined
        ? Number.POSITIVE_INFINITY
        : (options.maxSessionsPerPrincipal ?? DEFAULT_MAX_SESSIONS_PER_PRINCIPAL),
    retainedBytes: options.maxRetainedReplayBytes ?? DEFAULT_MAX_RETAINED_REPLAY_BYTES,
    ttlMs: options.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS,
  };
}

/** The slow-consumer check every session of the server runs; undefined when `slowConsumerMs` is 0. */
export function slowConsumerBound(options: AgentServerOptions): SlowConsumerBound | undefined {
  const ms = options.slowConsumerMs ?? DEFAULT_SLOW_CONSUMER_MS;
  return ms > 0 ? { bytes: options.slowConsumerBytes ?? DEFAULT_SLOW_CONSUMER_BYTES, ms } : undefined;
}
