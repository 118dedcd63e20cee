/**
 * The one table from each local condition to the wire code it becomes when it has to be reported
 * to a peer, and `wireCodeOf`. A file of its own: only what serves calls needs it, so a browser
 * client that serves none does not load it first.
 */
import * as errorCode from './error-code.js';
import { AgentSocketError, type AgentSocketErrorCode, type ErrorCode, ProtocolError } from './errors.js';

/**
 * The wire code each local condition becomes when it must be reported to a peer (a handler threw
 * it, a bridge or relay passes it on). The table in docs/errors.md lists the same pairs.
 */
export const LocalErrorWireCode: Readonly<Record<AgentSocketErrorCode, ErrorCode>> = {
  TRANSPORT_CLOSED: errorCode.UNAVAILABLE,
  NOT_CONNECTED: errorCode.UNAVAILABLE,
  CONNECTION_LOST: errorCode.UNAVAILABLE,
  CLIENT_CLOSED: errorCode.UNAVAILABLE,
  SESSION_CLOSED: errorCode.UNAVAILABLE,
  HANDSHAKE_FAILED: errorCode.UNAVAILABLE,
  HANDSHAKE_TIMEOUT: errorCode.UNAVAILABLE,
  INVALID_MESSAGE: errorCode.UNAVAILABLE,
  INVALID_SOURCE: errorCode.UNAVAILABLE,
  MOUNT_CLOSED: errorCode.UNAVAILABLE,
  TIMEOUT: errorCode.TIMEOUT,
  ABORTED: errorCode.INTERRUPTED,
  FRAME_TOO_LARGE: errorCode.FRAME_TOO_LARGE,
  TOO_MANY_REQUESTS: errorCode.TOO_MANY_REQUESTS,
  NO_SUCH_PEER_TOOL: errorCode.TOOL_NOT_FOUND,
  ENCODE_FAILED: errorCode.HANDLER_ERROR,
  INVALID_FRAME: errorCode.HANDLER_ERROR,
  INVALID_OPTIONS: errorCode.HANDLER_ERROR,
  DUPLICATE_TOOL: errorCode.HANDLER_ERROR,
  ERRORS_SUPPRESSED: errorCode.HANDLER_ERROR,
};

/**
 * The wire code for anything thrown: a ProtocolError keeps its own, a local error goes through
 * `LocalErrorWireCode`, and anything else is 500 (HANDLER_ERROR).
 */
export function wireCodeOf(error: unknown): number {
  if (error instanceof ProtocolError) return error.code;
  if (error instanceof AgentSocketError) return LocalErrorWireCode[error.code] ?? errorCode.HANDLER_ERROR;
  return errorCode.HANDLER_ERROR;
}
