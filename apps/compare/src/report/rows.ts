import { type FigureId, FIGURES, formatFigure } from '../figures.js';
import type { VariantResult } from '../results.js';
import type { TargetVerdict } from '../targets.js';

/** The figure tables, split so each fits a terminal. */
export const TABLES: ReadonlyArray<{ title: string; figures: readonly FigureId[] }> = [
  { title: 'Round trips (echo tool), bytes and setup', figures: ['p50', 'p99', 'cps1', 'cps32', 'bytes', 'setup'] },
  { title: 'Streaming, full duplex and idle memory', figures: ['ttfc', 'chunks', 'ask', 'rss', 'heap'] },
];

const ROLE_MARK = { floor: 'floor', ours: 'ours', reference: 'ref' } as const;

export function figureHeaders(figures: readonly FigureId[]): string[] {
  return ['variant', 'role', ...figures.map((f) => FIGURES[f].label)];
}

/** One row per variant; "—" where a measurement does not apply or failed. */
export function figureRows(results: readonly VariantResult[], figures: readonly FigureId[]): string[][] {
  return results.map((r) => [r.label, ROLE_MARK[r.role], ...figures.map((f) => formatFigure(FIGURES[f].unit, r.figures[f]))]);
}

export const TARGET_HEADERS = ['#', 'target', 'ours', 'reference', 'measured', 'needed', 'verdict'];

export function targetRows(verdicts: readonly TargetVerdict[]): string[][] {
  return verdicts.map((v) => {
    const unit = FIGURES[v.figure].unit;
    return [
      v.number,
      v.statement,
      formatFigure(unit, v.ours.value),
      v.reference ? formatFigure(unit, v.reference.value) : '—',
      v.measured,
      v.needed,
      v.met ? 'met' : 'not met',
    ];
  });
}
