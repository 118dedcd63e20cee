/**
 * One error family. Every error an @agentsocket package throws extends `AgentSocketBaseError`, so
 * one `instanceof` catches them all. Two kinds under it: `AgentSocketError` is local (a string
 * code, never sent on the wire as such) and `ProtocolError` is a wire error (a numeric code from
 * docs/protocol.md §19, carried by ERROR frames). `LocalErrorWireCode` is the one table from each
 * local condition to the wire code it becomes when it has to be reported to a peer.
 */

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
  BAD_FRAME: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  TOOL_NOT_FOUND: 404,
  /** No such agent (or namespace) to route to. */
  AGENT_NOT_FOUND: 406,
  TIMEOUT: 408,
  CONFLICT: 409,
  SESSION_EXPIRED: 410,
  FRAME_TOO_LARGE: 413,
  UNSUPPORTED_CODEC: 415,
  INVALID_ARGUMENTS: 422,
  UNSUPPORTED_VERSION: 426,
  TOO_MANY_REQUESTS: 429,
  INTERRUPTED: 499,
  HANDLER_ERROR: 500,
  UNKNOWN_FRAME_TYPE: 501,
  /** Relay mode: the function behind the relay failed to answer properly. */
  BAD_GATEWAY: 502,
  UNAVAILABLE: 503,
  /** Relay mode: the function did not finish by the call's deadline. */
  GATEWAY_TIMEOUT: 504,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * Every WebSocket close code ASP uses or reports (docs/protocol.md §20): the RFC 6455 codes, and
 * 4000 + the matching error code where there is one. No package writes a close code as a number.
 */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  /** RFC 6455: the peer broke the WebSocket protocol itself. */
  PROTOCOL_ERROR: 1002,
  /** RFC 6455: never sent; a connection that ended without a close frame. */
  ABNORMAL_CLOSURE: 1006,
  /** RFC 6455: a text message that is not UTF-8. */
  INVALID_PAYLOAD: 1007,
  /** RFC 6455: a message that violates the receiver's policy. */
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  /** RFC 6455: this end failed while handling what it received. */
  INTERNAL_ERROR: 1011,
  BAD_FRAME: 4400,
  UNAUTHORIZED: 4401,
  FORBIDDEN: 4403,
  CONFLICT: 4409,
  HANDSHAKE_TIMEOUT: 4408,
  FRAME_TOO_LARGE: 4413,
  HEARTBEAT_TIMEOUT: 4504,
  SESSION_EXPIRED: 4410,
  UNSUPPORTED_CODEC: 4415,
  UNSUPPORTED_VERSION: 4426,
  SLOW_CONSUMER: 4429,
  SERVER_SHUTDOWN: 4503,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/**
 * The wire code each local condition becomes when it must be reported to a peer (a handler threw
 * it, a bridge or relay passes it on). The table in docs/errors.md lists the same pairs.
 */
export const LocalErrorWireCode: Readonly<Record<AgentSocketErrorCode, ErrorCode>> = {
  TRANSPORT_CLOSED: ErrorCode.UNAVAILABLE,
  NOT_CONNECTED: ErrorCode.UNAVAILABLE,
  CONNECTION_LOST: ErrorCode.UNAVAILABLE,
  CLIENT_CLOSED: ErrorCode.UNAVAILABLE,
  SESSION_CLOSED: ErrorCode.UNAVAILABLE,
  HANDSHAKE_FAILED: ErrorCode.UNAVAILABLE,
  HANDSHAKE_TIMEOUT: ErrorCode.UNAVAILABLE,
  INVALID_MESSAGE: ErrorCode.UNAVAILABLE,
  INVALID_SOURCE: ErrorCode.UNAVAILABLE,
  MOUNT_CLOSED: ErrorCode.UNAVAILABLE,
  TIMEOUT: ErrorCode.TIMEOUT,
  ABORTED: ErrorCode.INTERRUPTED,
  FRAME_TOO_LARGE: ErrorCode.FRAME_TOO_LARGE,
  TOO_MANY_REQUESTS: ErrorCode.TOO_MANY_REQUESTS,
  NO_SUCH_PEER_TOOL: ErrorCode.TOOL_NOT_FOUND,
  ENCODE_FAILED: ErrorCode.HANDLER_ERROR,
  INVALID_FRAME: ErrorCode.HANDLER_ERROR,
  INVALID_OPTIONS: ErrorCode.HANDLER_ERROR,
  DUPLICATE_TOOL: ErrorCode.HANDLER_ERROR,
  ERRORS_SUPPRESSED: ErrorCode.HANDLER_ERROR,
};

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

/**
 * The wire code for anything thrown: a ProtocolError keeps its own, a local error goes through
 * `LocalErrorWireCode`, and anything else is 500 (HANDLER_ERROR).
 */
export function wireCodeOf(error: unknown): number {
  if (error instanceof ProtocolError) return error.code;
  if (error instanceof AgentSocketError) return LocalErrorWireCode[error.code] ?? ErrorCode.HANDLER_ERROR;
  return ErrorCode.HANDLER_ERROR;
}
