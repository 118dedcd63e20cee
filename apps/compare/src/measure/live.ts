import type { FigureId } from '../figures.js';
import type { Running, Session, Variant } from '../variant.js';

/** A variant with its server up and one long-lived connection, shared by the scenarios. */
export interface Live {
  readonly variant: Variant;
  readonly running: Running;
  readonly session: Session;
}

/** What one measured run of one variant produced: figure values, and what went wrong. */
export interface RunOutcome {
  values: Partial<Record<FigureId, number>>;
  /** Completed operations (calls, streams, questions, connections). */
  operations: number;
  errors: number;
  firstError: string | undefined;
}

export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
