import { type Column, profileTables, renderMarkdownTable, renderTable, streamTable, verdictColumns, verdictRows } from '@agentsocket/bench-kit';
import type { ComparisonReport } from './model.js';
import { figureHeaders, figureRows, TABLES, TARGET_HEADERS, targetRows } from './rows.js';

type Render = (columns: readonly Column[], rows: readonly (readonly string[])[]) => string;

function columns(headers: readonly string[], leftAligned: number): Column[] {
  return headers.map((header, i) => ({ header, align: i < leftAligned ? 'left' : 'right' }));
}

/** The figure tables and the targets, as text (terminal) or Markdown (docs/benchmarks.md). */
export function renderTables(report: ComparisonReport, format: 'text' | 'markdown'): string {
  const render: Render = format === 'text' ? renderTable : renderMarkdownTable;
  const heading = (s: string) => (format === 'text' ? `${s}:` : `**${s}**`);
  const parts: string[] = [];
  for (const t of profileTables(report.calls, report.variants, report.settings.concurrency)) {
    parts.push(heading(`Round trips, ${t.title} — median of ${report.settings.rounds} rounds`));
    parts.push(render(t.columns, t.rows));
  }
  const stream = streamTable(report.stream, report.variants);
  parts.push(heading(`Streaming, ${stream.title} — median of ${report.settings.rounds} rounds`));
  parts.push(render(stream.columns, stream.rows));
  const reached = report.goals.filter((g) => g.met).length;
  parts.push(heading(`Goals of issue 13 per profile, ratios measured in this run — ${reached} of ${report.goals.length} met`));
  parts.push(render(verdictColumns(), verdictRows(report.goals)));
  parts.push(heading('All variants, small echo profile and streamed profile'));
  for (const t of TABLES) {
    parts.push(heading(`${t.title} — median of ${report.settings.rounds} rounds`));
    parts.push(render(columns(figureHeaders(t.figures), 2), figureRows(report.variants, t.figures)));
  }
  const met = report.targets.filter((v) => v.met).length;
  parts.push(heading(`Targets (issue 5), ratios measured in this run — ${met} of ${report.targets.length} met`));
  const targetColumns = columns(TARGET_HEADERS, 2).map((c, i) => (i === TARGET_HEADERS.length - 1 ? { ...c, align: 'left' as const } : c));
  parts.push(render(targetColumns, targetRows(report.targets)));
  return parts.join('\n\n');
}
