export interface Column {
  header: string;
  /** @default 'left' for the first column, 'right' for the rest */
  align?: 'left' | 'right';
}

/** Renders rows as a fixed-width text table (numbers right-aligned by default). */
export function renderTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((c, i) => Math.max(c.header.length, ...rows.map((r) => (r[i] ?? '').length)));
  const cell = (text: string, i: number) => {
    const width = widths[i] ?? 0;
    const align = columns[i]?.align ?? (i === 0 ? 'left' : 'right');
    return align === 'left' ? text.padEnd(width) : text.padStart(width);
  };
  const line = (cells: readonly string[]) => columns.map((_, i) => cell(cells[i] ?? '', i)).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(columns.map((c) => c.header)), rule, ...rows.map(line)].join('\n');
}

/** Renders rows as a GitHub Markdown table (for docs). */
export function renderMarkdownTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const head = `| ${columns.map((c) => c.header).join(' | ')} |`;
  const rule = `|${columns.map((c, i) => ((c.align ?? (i === 0 ? 'left' : 'right')) === 'left' ? '---' : '---:')).join('|')}|`;
  return [head, rule, ...rows.map((r) => `| ${columns.map((_, i) => r[i] ?? '').join(' | ')} |`)].join('\n');
}

/** 12345.6 -> "12,346" */
export function formatCount(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a';
}

/** Milliseconds shown in µs below 1 ms: 0.0831 -> "83.1 µs", 2.5 -> "2.50 ms". */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  return ms < 1 ? `${(ms * 1000).toFixed(1)} µs` : `${ms.toFixed(2)} ms`;
}

/** Nanoseconds per op: 812.3 -> "812 ns", 1523 -> "1.52 µs". */
export function formatNs(ns: number): string {
  if (!Number.isFinite(ns)) return 'n/a';
  return ns < 1000 ? `${ns.toFixed(0)} ns` : `${(ns / 1000).toFixed(2)} µs`;
}

/** 0.8734 -> "0.87×" */
export function formatRatio(ratio: number): string {
  return Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : 'n/a';
}
