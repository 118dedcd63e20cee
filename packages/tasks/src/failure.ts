import { ErrorCode, ProtocolError } from '@agentsocket/core';
import type { TaskFailure } from './task.js';

/** What a handler threw, as stored: a ProtocolError keeps its code, anything else is 500. */
export function failureOf(error: unknown): TaskFailure {
  if (error instanceof ProtocolError) return { code: error.code, message: error.message };
  return { code: ErrorCode.HANDLER_ERROR, message: error instanceof Error ? error.message : String(error) };
}

/** Client errors (4xx) would fail the same way again; timeouts, throttling and 5xx may not. */
export function isRetryable(failure: TaskFailure): boolean {
  if (failure.code < 400 || failure.code >= 500) return true;
  return failure.code === ErrorCode.TIMEOUT || failure.code === ErrorCode.TOO_MANY_REQUESTS || failure.code === ErrorCode.INTERRUPTED;
}
