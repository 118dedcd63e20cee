import { median, type Role, type Variant } from '@agentsocket/bench-kit';
import { FIGURE_IDS, type FigureId, type FigureRounds } from './figures.js';
import type { RunOutcome } from './measure/live.js';


/** Everything measured for one variant: per-round values, their medians, and what went wrong. */
export interface VariantResult {
  id: string;
  label: string;
  short: string;
  role: Role;
  server: string;
  bytesAt: string;
  /** Measurements that do not apply, with the reason. */
  cannot: Partial<Record<string, string>>;
  rounds: FigureRounds;
  /** Median over rounds, per figure. */
  figures: Partial<Record<FigureId, number>>;
  /** Operations completed per scenario (calls, streams, questions, connections). */
  operations: Record<string, number>;
  errors: string[];
}

export function emptyResult(v: Variant): VariantResult {
  return { id: v.id, label: v.label, short: v.short, role: v.role, server: v.server, bytesAt: v.bytesAt, cannot: { ...v.cannot }, rounds: {}, figures: {}, operations: {}, errors: [] };
}

/** Adds one measured run (round ≥ 0) of one scenario to a variant's result. */
export function record(result: VariantResult, scenario: string, round: number, outcome: RunOutcome): void {
  result.operations[scenario] = (result.operations[scenario] ?? 0) + outcome.operations;
  if (outcome.errors > 0) result.errors.push(`${scenario}, round ${round + 1}: ${outcome.errors} error(s): ${outcome.firstError ?? 'unknown'}`);
  for (const id of FIGURE_IDS) {
    const value = outcome.values[id];
    if (value === undefined) continue;
    const rounds = result.rounds[id] ?? [];
    rounds.push(value);
    result.rounds[id] = rounds;
  }
}

/** Fills in the medians once every round is in. */
export function summarize(result: VariantResult): void {
  for (const id of FIGURE_IDS) {
    const rounds = result.rounds[id];
    if (rounds && rounds.length > 0) result.figures[id] = median(rounds);
  }
}

/**
 * What makes a result unusable: errors, a figure that is not a positive finite number, or a
 * measurement that applies and produced nothing. RSS growth only has to be finite: the
 * allocator may hand back pages between batches, so a small or negative step is a measurement.
 */
export function problems(result: VariantResult, expected: readonly FigureId[]): string[] {
  const out = result.errors.map((e) => `${result.id}: ${e}`);
  for (const [id, rounds] of Object.entries(result.rounds)) {
    for (const [i, v] of rounds.entries()) {
      if (!Number.isFinite(v) || (id !== 'rss' && v <= 0)) out.push(`${result.id}: ${id} in round ${i + 1} is ${v}`);
    }
  }
  for (const id of expected) if (!result.rounds[id]?.length) out.push(`${result.id}: no ${id} figure`);
  return out;
}

/** The figures a variant must produce, given what it cannot do. */
export function expectedFigures(result: VariantResult): FigureId[] {
  const skip = new Set<FigureId>();
  if (result.cannot['stream'] !== undefined) for (const f of ['ttfc', 'chunks'] as const) skip.add(f);
  if (result.cannot['ask'] !== undefined) skip.add('ask');
  if (result.cannot['memory'] !== undefined) for (const f of ['rss', 'heap'] as const) skip.add(f);
  return FIGURE_IDS.filter((f) => !skip.has(f));
}
