import { judge, median, pairedRatios, type Verdict } from '@agentsocket/bench-kit';
import { type FigureId, FIGURES, formatFigure } from './figures.js';
import type { VariantResult } from './results.js';

/** One target of issue 5, judged on this run on the small echo profile and the streamed profile. */
export interface TargetVerdict extends Verdict {
  /** The numbering, e.g. "3a". */
  number: string;
  figure: FigureId;
  ours: { id: string; value: number | undefined };
  /** The reference measured in the same run; absent for an absolute target. */
  reference: { id: string; value: number | undefined } | undefined;
  /** For display: the measured ratio (or figure) and what is needed. */
  measured: string;
  needed: string;
}

interface Spec {
  number: string;
  statement: string;
  figure: FigureId;
  ours: string;
  reference: string;
  direction: 'atLeast' | 'atMost';
  threshold: number;
}

const RELATIVE: Spec[] = [
  { number: '1', statement: 'ws invoke, 32 in flight: ≥ 80% of raw ws echo throughput', figure: 'cps32', ours: 'ws', reference: 'raw-ws', direction: 'atLeast', threshold: 0.8 },
  { number: '2', statement: 'ws invoke, 32 in flight: ≥ 1.6× plain Socket.IO emitWithAck', figure: 'cps32', ours: 'ws', reference: 'plain-socketio', direction: 'atLeast', threshold: 1.6 },
  { number: '3a', statement: 'ws p50, 1 in flight: ≤ 1.25× raw ws echo', figure: 'p50', ours: 'ws', reference: 'raw-ws', direction: 'atMost', threshold: 1.25 },
  { number: '3b', statement: 'ws p50, 1 in flight: ≤ 0.85× plain Socket.IO', figure: 'p50', ours: 'ws', reference: 'plain-socketio', direction: 'atMost', threshold: 0.85 },
  { number: '3c', statement: 'ws p99, 1 in flight: ≤ 1.5× raw ws echo', figure: 'p99', ours: 'ws', reference: 'raw-ws', direction: 'atMost', threshold: 1.5 },
  { number: '4a', statement: 'ws bytes/call: ≤ 30% of MCP Streamable HTTP (bare SDK)', figure: 'bytes', ours: 'ws', reference: 'bare-mcp-http', direction: 'atMost', threshold: 0.3 },
  { number: '4b', statement: 'ws bytes/call: ≤ 95% of plain Socket.IO', figure: 'bytes', ours: 'ws', reference: 'plain-socketio', direction: 'atMost', threshold: 0.95 },
  { number: '5a', statement: 'ws calls/s, 1 in flight: ≥ 15× MCP Streamable HTTP (bare SDK)', figure: 'cps1', ours: 'ws', reference: 'bare-mcp-http', direction: 'atLeast', threshold: 15 },
  { number: '5b', statement: 'ws calls/s, 32 in flight: ≥ 35× MCP Streamable HTTP (bare SDK)', figure: 'cps32', ours: 'ws', reference: 'bare-mcp-http', direction: 'atLeast', threshold: 35 },
  { number: '6a', statement: 'agent over Socket.IO, 32 in flight: ≥ 90% of plain Socket.IO', figure: 'cps32', ours: 'socketio', reference: 'plain-socketio', direction: 'atLeast', threshold: 0.9 },
  { number: '6b', statement: 'agent over MCP HTTP bridge, 32 in flight: ≥ 90% of bare SDK server', figure: 'cps32', ours: 'mcp-http', reference: 'bare-mcp-http', direction: 'atLeast', threshold: 0.9 },
  { number: '6c', statement: 'agent over MCP stdio bridge, 32 in flight: ≥ 90% of bare SDK server', figure: 'cps32', ours: 'mcp-stdio', reference: 'bare-mcp-stdio', direction: 'atLeast', threshold: 0.9 },
  // Judged on the heap: RSS per connection moves in allocator and page steps that swamp 2,000 idle sockets (it is in the tables).
  { number: '7a', statement: 'ws idle memory/connection (heap): ≤ 1.5× raw ws', figure: 'heap', ours: 'ws', reference: 'raw-ws', direction: 'atMost', threshold: 1.5 },
  { number: '7b', statement: 'ws idle memory/connection (heap): ≤ 50% of plain Socket.IO', figure: 'heap', ours: 'ws', reference: 'plain-socketio', direction: 'atMost', threshold: 0.5 },
];

/** Target 8 is absolute: tokens per second of the streamed profile on one binary WebSocket connection. */
const CHUNKS_PER_SECOND = 100_000;

/** Judges every target on the results of one run: ratios are medians of per-round ratios (rounds measured back to back). */
export function judgeTargets(results: readonly VariantResult[]): TargetVerdict[] {
  const byId = new Map(results.map((r) => [r.id, r]));
  const verdicts = RELATIVE.map((spec): TargetVerdict => {
    const ours = byId.get(spec.ours);
    const reference = byId.get(spec.reference);
    const ratio = median(pairedRatios(ours?.rounds[spec.figure] ?? [], reference?.rounds[spec.figure] ?? []));
    const v = judge({ id: spec.number, statement: spec.statement, ratio, direction: spec.direction, threshold: spec.threshold });
    return {
      ...v,
      number: spec.number,
      figure: spec.figure,
      ours: { id: spec.ours, value: ours?.figures[spec.figure] },
      reference: { id: spec.reference, value: reference?.figures[spec.figure] },
      measured: Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : 'n/a',
      needed: `${spec.direction === 'atLeast' ? '≥' : '≤'} ${spec.threshold}×`,
    };
  });
  const ws = byId.get('ws')?.figures.chunks;
  const v = judge({
    id: '8',
    statement: 'streaming: ≥ 100,000 tokens/s on one binary WebSocket connection (streamed profile)',
    ratio: (ws ?? Number.NaN) / CHUNKS_PER_SECOND,
    direction: 'atLeast',
    threshold: 1,
  });
  verdicts.push({
    ...v,
    number: '8',
    figure: 'chunks',
    ours: { id: 'ws', value: ws },
    reference: undefined,
    measured: `${formatFigure(FIGURES.chunks.unit, ws)}/s`,
    needed: `≥ ${CHUNKS_PER_SECOND.toLocaleString('en-US')}/s`,
  });
  return verdicts;
}
