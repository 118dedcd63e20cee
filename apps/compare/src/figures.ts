/** Every figure the comparison reports, with how to read it. */
export const FIGURES = {
  p50: { label: 'p50, 1 in flight', unit: 'ms', better: 'lower' },
  p99: { label: 'p99, 1 in flight', unit: 'ms', better: 'lower' },
  cps1: { label: 'calls/s, 1 in flight', unit: 'per-s', better: 'higher' },
  cps32: { label: 'calls/s, 32 in flight', unit: 'per-s', better: 'higher' },
  bytes: { label: 'bytes/call on the socket', unit: 'bytes', better: 'lower' },
  setup: { label: 'connect to first call', unit: 'ms', better: 'lower' },
  ttfc: { label: 'time to first token', unit: 'ms', better: 'lower' },
  chunks: { label: 'tokens/s, one stream', unit: 'per-s', better: 'higher' },
  ask: { label: 'question round trip', unit: 'ms', better: 'lower' },
  rss: { label: 'idle RSS/connection', unit: 'bytes', better: 'lower' },
  heap: { label: 'idle heap/connection', unit: 'bytes', better: 'lower' },
} as const;

export type FigureId = keyof typeof FIGURES;
export type Unit = (typeof FIGURES)[FigureId]['unit'];

export const FIGURE_IDS = Object.keys(FIGURES).filter((k): k is FigureId => k in FIGURES);

/** Figure values per measured round, in round order (index i of two variants: measured back to back). */
export type FigureRounds = Partial<Record<FigureId, number[]>>;

/** 12345.6 per second -> "12,346"; 0.0831 ms -> "83.1 µs"; 2048 bytes -> "2.0 KiB". */
export function formatFigure(unit: Unit, value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '—';
  switch (unit) {
    case 'ms':
      return value < 1 ? `${(value * 1000).toFixed(0)} µs` : value < 100 ? `${value.toFixed(2)} ms` : `${value.toFixed(0)} ms`;
    case 'per-s':
      return Math.round(value).toLocaleString('en-US');
    case 'bytes':
      return value < 10_240 ? `${Math.round(value).toLocaleString('en-US')} B` : `${(value / 1024).toFixed(1)} KiB`;
  }
}
