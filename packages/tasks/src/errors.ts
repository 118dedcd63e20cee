import { ErrorCode, ProtocolError } from '@agentsocket/core';

/** Why a task operation was refused; each maps to one ASP wire code (see docs/tasks.md). */
export type TaskErrorReason =
  | 'UNKNOWN_CAPABILITY'
  | 'INVALID_ARGUMENTS'
  | 'DEADLINE_PASSED'
  | 'INVALID_TASK'
  | 'UNAVAILABLE'
  | 'TASK_FAILED'
  | 'TASK_CANCELLED'
  | 'NOT_FOUND'
  | 'TIMEOUT';

const CODES: Record<TaskErrorReason, number> = {
  UNKNOWN_CAPABILITY: ErrorCode.TOOL_NOT_FOUND,
  INVALID_ARGUMENTS: ErrorCode.INVALID_ARGUMENTS,
  DEADLINE_PASSED: ErrorCode.TIMEOUT,
  INVALID_TASK: ErrorCode.BAD_FRAME,
  UNAVAILABLE: ErrorCode.UNAVAILABLE,
  TASK_FAILED: ErrorCode.HANDLER_ERROR,
  TASK_CANCELLED: ErrorCode.INTERRUPTED,
  NOT_FOUND: ErrorCode.AGENT_NOT_FOUND,
  TIMEOUT: ErrorCode.TIMEOUT,
};

/**
 * Every error this package throws: a ProtocolError (so the project's one `instanceof` catches it,
 * and it travels as an ASP ERROR when a tool rethrows it) with a `reason` naming the condition.
 * A failed task's own code (from its handler) is in `data.code` for TASK_FAILED.
 */
export class TaskError extends ProtocolError {
  readonly reason: TaskErrorReason;

  constructor(reason: TaskErrorReason, message: string, options?: { data?: unknown; cause?: unknown }) {
    super(CODES[reason], message, options);
    this.reason = reason;
  }
}
