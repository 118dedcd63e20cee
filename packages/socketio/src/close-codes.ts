import { CloseCode } from '@agentsocket/core';

/**
 * WebSocket "abnormal closure": the connection died without a close handshake.
 * @deprecated Use `CloseCode.ABNORMAL_CLOSURE` from @agentsocket/core.
 */
export const ABNORMAL_CLOSURE: typeof CloseCode.ABNORMAL_CLOSURE = CloseCode.ABNORMAL_CLOSURE;
/**
 * WebSocket "internal error": this end failed while handling what it received.
 * @deprecated Use `CloseCode.INTERNAL_ERROR` from @agentsocket/core.
 */
export const INTERNAL_ERROR: typeof CloseCode.INTERNAL_ERROR = CloseCode.INTERNAL_ERROR;

export interface ReasonMapping {
  readonly code: number;
  /** True when this end (its own Socket.IO server or client) caused the disconnect. */
  readonly local: boolean;
}

/**
 * Socket.IO has reasons, not close codes. A deliberate close sends the code first (the
 * CLOSE_EVENT); this table is for the disconnects that arrive without one.
 */
const REASONS: ReadonlyMap<string, ReasonMapping> = new Map([
  // Either end: the connection itself failed.
  ['transport close', { code: CloseCode.ABNORMAL_CLOSURE, local: false }],
  ['transport error', { code: CloseCode.ABNORMAL_CLOSURE, local: false }],
  ['ping timeout', { code: CloseCode.HEARTBEAT_TIMEOUT, local: false }],
  ['parse error', { code: CloseCode.BAD_FRAME, local: false }],
  // Server side.
  ['client namespace disconnect', { code: CloseCode.NORMAL, local: false }],
  ['server namespace disconnect', { code: CloseCode.GOING_AWAY, local: true }],
  ['server shutting down', { code: CloseCode.GOING_AWAY, local: true }],
  ['forced server close', { code: CloseCode.GOING_AWAY, local: true }],
  ['forced close', { code: CloseCode.ABNORMAL_CLOSURE, local: true }],
  // Client side.
  ['io server disconnect', { code: CloseCode.GOING_AWAY, local: false }],
  ['io client disconnect', { code: CloseCode.NORMAL, local: true }],
]);

/** The close code a Socket.IO disconnect reason stands for; unknown reasons count as abnormal. */
export function closeCodeForReason(reason: string): ReasonMapping {
  return REASONS.get(reason) ?? { code: CloseCode.ABNORMAL_CLOSURE, local: false };
}

/** Close codes a peer may send: the registered WebSocket range and the private 4000s. */
export function isCloseCode(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= CloseCode.NORMAL && value <= 4999;
}
