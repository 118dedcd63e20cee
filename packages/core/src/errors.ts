/**
 * One error family. Every error an @agentsocket package throws extends `AgentSocketBaseError`, so
 * one `instanceof` catches them all. Two kinds under it: `AgentSocketError` is local (a string
 * code, never sent on the wire as such) and `ProtocolError` is a wire error (a numeric code from
 * docs/protocol.md §19, carried by ERROR frames). `LocalErrorWireCode` (wire-code.ts) is the one table
 * from each local condition to the wire code it becomes when it has to be reported to a peer.
 */

import * as closeCode from './close-code.js';
import * as errorCode from './error-code.js';

/** Local error codes, one line each in docs/errors.md. */
export type AgentSocketErrorCode =
  | 'TRANSPORT_CLOSED'
  | 'NOT_CONNECTED'
  | 'CONNECTION_LOST'
  | 'CLIENT_CLOSED'
  | 'HANDSHAKE_FAILED'
  | 'HANDSHAKE_TIMEOUT'
  | 'FRAME_TOO_LARGE'
  /** A value the session's codec cannot encode (a BigInt beyond 64 bits, a cycle, a symbol). */
  | 'ENCODE_FAILED'
  /** Bytes that cannot be a frame, or a decoded value without the shape expected (WireShapeError). */
  | 'INVALID_FRAME'
  /** A message from another process (an MCP server, another node of a cluster) that breaks its protocol. */
  | 'INVALID_MESSAGE'
  | 'INVALID_OPTIONS'
  /** An MCP server source with neither a command, a url nor a transport (@agentsocket/mcp). */
  | 'INVALID_SOURCE'
  /** An MCP mount used after it closed (@agentsocket/mcp). */
  | 'MOUNT_CLOSED'
  | 'DUPLICATE_TOOL'
  | 'NO_SUCH_PEER_TOOL'
  | 'TOO_MANY_REQUESTS'
  | 'ABORTED'
  | 'SESSION_CLOSED'
  /** The summary of errors an AgentServer did not emit one by one (AgentServerOptions.errorEvents). */
  | 'ERRORS_SUPPRESSED'
  | 'TIMEOUT';

/** Numeric wire error codes. Documented in docs/protocol.md §19. */
export const ErrorCode = {
  BAD_FRAME: errorCode.BAD_FRAME,
  UNAUTHORIZED: errorCode.UNAUTHORIZED,
  FORBIDDEN: errorCode.FORBIDDEN,
  TOOL_NOT_FOUND: errorCode.TOOL_NOT_FOUND,
  /** No such agent (or namespace) to route to. */
  AGENT_NOT_FOUND: errorCode.AGENT_NOT_FOUND,
  TIMEOUT: errorCode.TIMEOUT,
  CONFLICT: errorCode.CONFLICT,
  SESSION_EXPIRED: errorCode.SESSION_EXPIRED,
  FRAME_TOO_LARGE: errorCode.FRAME_TOO_LARGE,
  UNSUPPORTED_CODEC: errorCode.UNSUPPORTED_CODEC,
  INVALID_ARGUMENTS: errorCode.INVALID_ARGUMENTS,
  UNSUPPORTED_VERSION: errorCode.UNSUPPORTED_VERSION,
  TOO_MANY_REQUESTS: errorCode.TOO_MANY_REQUESTS,
  INTERRUPTED: errorCode.INTERRUPTED,
  HANDLER_ERROR: errorCode.HANDLER_ERROR,
  UNKNOWN_FRAME_TYPE: errorCode.UNKNOWN_FRAME_TYPE,
  /** Relay mode: the function behind the relay failed to answer properly. */
  BAD_GATEWAY: errorCode.BAD_GATEWAY,
  UNAVAILABLE: errorCode.UNAVAILABLE,
  /** Relay mode: the function did not finish by the call's deadline. */
  GATEWAY_TIMEOUT: errorCode.GATEWAY_TIMEOUT,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * Every WebSocket close code ASP uses or reports (docs/protocol.md §20): the RFC 6455 codes, and
 * 4000 + the matching error code where there is one. No package writes a close code as a number.
 */
export const CloseCode = {
  NORMAL: closeCode.NORMAL,
  GOING_AWAY: closeCode.GOING_AWAY,
  /** RFC 6455: the peer broke the WebSocket protocol itself. */
  PROTOCOL_ERROR: closeCode.PROTOCOL_ERROR,
  /** RFC 6455: never sent; a connection that ended without a close frame. */
  ABNORMAL_CLOSURE: closeCode.ABNORMAL_CLOSURE,
  /** RFC 6455: a text message that is not UTF-8. */
  INVALID_PAYLOAD: closeCode.INVALID_PAYLOAD,
  /** RFC 6455: a message that violates the receiver's policy. */
  POLICY_VIOLATION: closeCode.POLICY_VIOLATION,
  MESSAGE_TOO_BIG: closeCode.MESSAGE_TOO_BIG,
  /** RFC 6455: this end failed while handling what it received. */
  INTERNAL_ERROR: closeCode.INTERNAL_ERROR,
  BAD_FRAME: closeCode.BAD_FRAME,
  UNAUTHORIZED: closeCode.UNAUTHORIZED,
  FORBIDDEN: closeCode.FORBIDDEN,
  CONFLICT: closeCode.CONFLICT,
  HANDSHAKE_TIMEOUT: closeCode.HANDSHAKE_TIMEOUT,
  FRAME_TOO_LARGE: closeCode.FRAME_TOO_LARGE,
  HEARTBEAT_TIMEOUT: closeCode.HEARTBEAT_TIMEOUT,
  SESSION_EXPIRED: closeCode.SESSION_EXPIRED,
  UNSUPPORTED_CODEC: closeCode.UNSUPPORTED_CODEC,
  UNSUPPORTED_VERSION: closeCode.UNSUPPORTED_VERSION,
  SLOW_CONSUMER: closeCode.SLOW_CONSUMER,
  SERVER_SHUTDOWN: closeCode.SERVER_SHUTDOWN,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/**
 * The base of every error any `@agentsocket` package throws. `code` is a string for a local
 * condition (`AgentSocketError`) and a number for a wire error (`ProtocolError`).
 */
export class AgentSocketBaseError extends Error {
  override readonly name: string = 'AgentSocketBaseError';
  readonly code: string | number;

  constructor(code: string | number, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}

/** A local condition: a string code from `AgentSocketErrorCode`, never sent on the wire as such. */
export class AgentSocketError extends AgentSocketBaseError {
  override readonly name: string = 'AgentSocketError';
  declare readonly code: AgentSocketErrorCode;

  constructor(code: AgentSocketErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** A wire error: the numeric `code` an ERROR frame carried or will carry, with its `data`. */
export class ProtocolError extends AgentSocketBaseError {
  override readonly name: string = 'ProtocolError';
  declare readonly code: number;
  readonly data: unknown;

  constructor(code: number, message: string, options?: { data?: unknown; cause?: unknown }) {
    super(code, message, options);
    this.data = options?.data;
  }
}
