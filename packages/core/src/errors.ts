/**
 * Two error families. `AgentSocketError` is local: string codes, never sent on the wire.
 * `ProtocolError` is a wire error: a numeric code from docs/protocol.md, carried by ERROR frames.
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
  | 'INVALID_FRAME'
  | 'INVALID_OPTIONS'
  | 'DUPLICATE_TOOL'
  | 'NO_SUCH_PEER_TOOL'
  | 'TOO_MANY_REQUESTS'
  | 'ABORTED'
  | 'SESSION_CLOSED'
  /** The summary of errors an AgentServer did not emit one by one (AgentServerOptions.errorEvents). */
  | 'ERRORS_SUPPRESSED'
  | 'TIMEOUT';

export class AgentSocketError extends Error {
  override readonly name = 'AgentSocketError';
  readonly code: AgentSocketErrorCode;

  constructor(code: AgentSocketErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Numeric wire error codes. Documented in docs/protocol.md §Errors. */
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
  UNAVAILABLE: 503,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** WebSocket close codes used by ASP (4000 + the matching error code where there is one). */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  MESSAGE_TOO_BIG: 1009,
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

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  readonly code: number;
  readonly data: unknown;

  constructor(code: number, message: string, options?: { data?: unknown; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.data = options?.data;
  }
}
