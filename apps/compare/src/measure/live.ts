import type { FigureId } from '../figures.js';

/** What one measured run of one variant produced: figure values, and what went wrong. */
export interface RunOutcome {
  values: Partial<Record<FigureId, number>>;
  /** Completed operations (calls, streams, questions, connections). */
  operations: number;
  errors: number;
  firstError: string | undefined;
}
