import { type FigureId, FIGURES, formatFigure } from '../figures.js';
import type { VariantResult } from '../results.js';
import { esc } from './escape.js';

const COLORS = { floor: '#7a9e7e', ours: '#2f6fdf', reference: '#9aa3ad' } as const;
const WIDTH = 540;
const LABEL = 170;
const BAR = 16;
const GAP = 7;
const TOP = 6;

/**
 * One figure across the variants as an inline SVG bar chart (linear scale from zero, value at
 * the bar's end). Variants without the figure are left out, and said so in the caption.
 */
export function barChart(figure: FigureId, results: readonly VariantResult[]): string {
  const spec = FIGURES[figure];
  const rows = results.filter((r) => Number.isFinite(r.figures[figure] ?? Number.NaN));
  const missing = results.filter((r) => !rows.includes(r)).map((r) => r.short);
  const max = Math.max(...rows.map((r) => r.figures[figure] ?? 0), Number.MIN_VALUE);
  const plot = WIDTH - LABEL - 90;
  const height = TOP * 2 + rows.length * (BAR + GAP);
  const bars = rows
    .map((r, i) => {
      const value = r.figures[figure] ?? 0;
      const y = TOP + i * (BAR + GAP);
      const w = Math.max(1, (value / max) * plot);
      return (
        `<text x="${LABEL - 8}" y="${y + BAR - 4}" text-anchor="end" class="l">${esc(r.short)}</text>` +
        `<rect x="${LABEL}" y="${y}" width="${w.toFixed(1)}" height="${BAR}" rx="2" fill="${COLORS[r.role]}" data-variant="${esc(r.id)}"/>` +
        `<text x="${(LABEL + w + 6).toFixed(1)}" y="${y + BAR - 4}" class="v">${esc(formatFigure(spec.unit, value))}</text>`
      );
    })
    .join('');
  const caption = `${esc(spec.label)} <span class="hint">(${spec.better} is better)</span>${
    missing.length > 0 ? `<span class="missing">not measured: ${esc(missing.join(', '))}</span>` : ''
  }`;
  return (
    `<figure class="chart" data-figure="${figure}"><figcaption>${caption}</figcaption>` +
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" role="img" aria-label="${esc(spec.label)}">${bars}</svg></figure>`
  );
}

/** The legend for the bar colours. */
export function legend(): string {
  const item = (role: keyof typeof COLORS, text: string) =>
    `<span class="key"><svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" rx="2" fill="${COLORS[role]}"/></svg>${text}</span>`;
  return `<p class="legend">${item('ours', 'Agent Socket')} ${item('floor', 'in-memory floor')} ${item('reference', 'reference, measured in the same run')}</p>`;
}
