import { ErrorCode, ProtocolError } from '@agentsocket/core';

/** Why a registry operation was refused; each maps to one ASP wire code (docs/registry.md, "Errors"). */
export type RegistryErrorReason = 'INVALID_QUERY' | 'INVALID_STATUS' | 'NOT_FOUND' | 'UNAVAILABLE';

const CODES: Record<RegistryErrorReason, number> = {
  INVALID_QUERY: ErrorCode.INVALID_ARGUMENTS,
  INVALID_STATUS: ErrorCode.INVALID_ARGUMENTS,
  NOT_FOUND: ErrorCode.AGENT_NOT_FOUND,
  UNAVAILABLE: ErrorCode.UNAVAILABLE,
};

/**
 * Every error this package throws: a ProtocolError (the project's one `instanceof` catches it, and
 * a registry tool that rethrows it answers with an ASP ERROR of its code) with a `reason`.
 */
export class RegistryError extends ProtocolError {
  readonly reason: RegistryErrorReason;

  constructor(reason: RegistryErrorReason, message: string, options?: { cause?: unknown }) {
    super(CODES[reason], message, options);
    this.reason = reason;
  }
}

/** A 503 from the Redis helpers becomes this package's UNAVAILABLE; anything else passes. */
export function wrapUnavailable(error: unknown): Error {
  if (error instanceof ProtocolError && error.code === 503 && !(error instanceof RegistryError)) {
    return new RegistryError('UNAVAILABLE', error.message, { cause: error });
  }
  return error instanceof Error ? error : new Error(String(error));
}
