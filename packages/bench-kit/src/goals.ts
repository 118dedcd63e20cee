import type { CallProfileResult, StreamProfileResult } from './profile-run.js';
import { CALL_PROFILES, STREAM_PROFILE } from './profiles.js';
import type { RoundTripResult } from './round-trip.js';
import { median, pairedRatios } from './stats.js';
import type { StreamingResult } from './streaming.js';
import { type Column, formatCount, formatMs, formatRatio } from './table.js';
import { judge, type Verdict } from './verdict.js';

/** A figure of one call profile, read from one round. */
export type ProfileFigure = 'cps32' | 'cps1' | 'p50' | 'p99' | 'bytes';

const READ: Record<ProfileFigure, { at: 'one' | 'many'; read: (r: RoundTripResult) => number; label: (c: number) => string; format: (n: number) => string }> = {
  cps32: { at: 'many', read: (r) => r.perSecond, label: (c) => `calls/s, ${c} in flight`, format: formatCount },
  cps1: { at: 'one', read: (r) => r.perSecond, label: () => 'calls/s, 1 in flight', format: formatCount },
  p50: { at: 'one', read: (r) => r.latency?.p50 ?? Number.NaN, label: () => 'p50, 1 in flight', format: formatMs },
  p99: { at: 'one', read: (r) => r.latency?.p99 ?? Number.NaN, label: () => 'p99, 1 in flight', format: formatMs },
  bytes: { at: 'one', read: (r) => r.bytesPerCall, label: () => 'bytes/call on the socket', format: (n) => `${formatCount(n)} B` },
};

/** One goal of issue 13, judged per profile on a ratio of two variants measured in the same run. */
export interface Goal {
  id: string;
  statement: string;
  figure: ProfileFigure;
  ours: string;
  reference: string;
  direction: 'atLeast' | 'atMost';
  threshold: number;
}

/** Issue 13's goals (same-run ratios, medians of per-round ratios, every profile). */
export const GOALS: readonly Goal[] = [
  { id: 'ws/rpc', statement: 'ws calls/s at 32 in flight ≥ 0.95× the hand-written ws + msgpackr RPC', figure: 'cps32', ours: 'ws', reference: 'msgpack-rpc', direction: 'atLeast', threshold: 0.95 },
  { id: 'ws/raw', statement: 'ws calls/s at 32 in flight ≥ 0.8× the raw ws echo', figure: 'cps32', ours: 'ws', reference: 'raw-ws', direction: 'atLeast', threshold: 0.8 },
  { id: 'ws/sio', statement: 'ws calls/s at 32 in flight ≥ 1.6× plain Socket.IO', figure: 'cps32', ours: 'ws', reference: 'plain-socketio', direction: 'atLeast', threshold: 1.6 },
  { id: 'sio/sio', statement: 'our Socket.IO transport, calls/s at 32 in flight ≥ 0.95× plain Socket.IO', figure: 'cps32', ours: 'socketio', reference: 'plain-socketio', direction: 'atLeast', threshold: 0.95 },
  { id: 'p50', statement: 'ws p50 at 1 in flight ≤ 1.2× the raw ws echo', figure: 'p50', ours: 'ws', reference: 'raw-ws', direction: 'atMost', threshold: 1.2 },
  { id: 'p99', statement: 'ws p99 at 1 in flight ≤ 1.3× the raw ws echo', figure: 'p99', ours: 'ws', reference: 'raw-ws', direction: 'atMost', threshold: 1.3 },
  { id: 'bytes/sio', statement: 'ws bytes/call ≤ 0.95× plain Socket.IO', figure: 'bytes', ours: 'ws', reference: 'plain-socketio', direction: 'atMost', threshold: 0.95 },
  { id: 'bytes/rpc', statement: 'ws bytes/call ≤ 1.0× the hand-written RPC', figure: 'bytes', ours: 'ws', reference: 'msgpack-rpc', direction: 'atMost', threshold: 1 },
  { id: 'bytes/mcp', statement: 'ws bytes/call ≤ 0.3× MCP Streamable HTTP (bare SDK)', figure: 'bytes', ours: 'ws', reference: 'bare-mcp-http', direction: 'atMost', threshold: 0.3 },
  { id: 'sio-bytes', statement: 'our Socket.IO transport, bytes/call ≤ 1.1× plain Socket.IO', figure: 'bytes', ours: 'socketio', reference: 'plain-socketio', direction: 'atMost', threshold: 1.1 },
  { id: 'ws/mcp', statement: 'ws calls/s at 1 in flight ≥ 20× MCP Streamable HTTP (bare SDK)', figure: 'cps1', ours: 'ws', reference: 'bare-mcp-http', direction: 'atLeast', threshold: 20 },
];

export interface ProfileVerdict extends Verdict {
  profile: string;
  ours: { id: string; value: number };
  reference: { id: string; value: number };
}

/** One figure of one variant over the rounds of one profile. */
export function roundsOf(result: CallProfileResult, variant: string, figure: ProfileFigure): number[] {
  const spec = READ[figure];
  return (result[spec.at][variant] ?? []).map(spec.read);
}

/** Judges every goal whose two variants ran, per profile. */
export function judgeGoals(results: readonly CallProfileResult[]): ProfileVerdict[] {
  const out: ProfileVerdict[] = [];
  for (const r of results) {
    for (const g of GOALS) {
      if (!(g.ours in r.one) || !(g.reference in r.one)) continue;
      const ours = roundsOf(r, g.ours, g.figure);
      const reference = roundsOf(r, g.reference, g.figure);
      const v = judge({ id: g.id, statement: g.statement, ratio: median(pairedRatios(ours, reference)), direction: g.direction, threshold: g.threshold });
      out.push({ ...v, profile: r.profile, ours: { id: g.ours, value: median(ours) }, reference: { id: g.reference, value: median(reference) } });
    }
  }
  return out;
}

export interface TableData {
  title: string;
  columns: Column[];
  rows: string[][];
}

/** Per profile: one row per figure, one column per variant (medians over rounds), as tables. */
export function profileTables(results: readonly CallProfileResult[], variants: readonly { id: string; short: string }[], concurrency: number): TableData[] {
  return results.map((r) => {
    const profile = CALL_PROFILES.find((p) => p.id === r.profile);
    const present = variants.filter((v) => v.id in r.one);
    const rows = (Object.keys(READ) as ProfileFigure[]).map((f) => [
      READ[f].label(concurrency),
      ...present.map((v) => READ[f].format(median(roundsOf(r, v.id, f)))),
    ]);
    return {
      title: `profile ${r.profile} (${profile?.title ?? r.profile})`,
      columns: [{ header: 'figure' }, ...present.map((v) => ({ header: v.short }))],
      rows,
    };
  });
}

/** The streamed profile as a table: tokens/s, time to first token, bytes per token, and ratios to ws. */
export function streamTable(result: StreamProfileResult, variants: readonly { id: string; short: string }[]): TableData {
  const present = variants.filter((v) => v.id in result);
  const pick = (id: string, f: (s: StreamingResult) => number) => (result[id] ?? []).map(f);
  const ws = (f: (s: StreamingResult) => number) => pick('ws', f);
  const row = (v: { id: string; short: string }) => [
    v.short,
    formatCount(median(pick(v.id, (s) => s.tokensPerSecond))),
    formatMs(median(pick(v.id, (s) => s.firstTokenMs))),
    `${median(pick(v.id, (s) => s.bytesPerToken)).toFixed(1)} B`,
    formatRatio(median(pairedRatios(ws((s) => s.tokensPerSecond), pick(v.id, (s) => s.tokensPerSecond)))),
    formatRatio(median(pairedRatios(ws((s) => s.firstTokenMs), pick(v.id, (s) => s.firstTokenMs)))),
  ];
  return {
    title: `profile ${STREAM_PROFILE.id} (${STREAM_PROFILE.title}), one stream at a time on one connection`,
    columns: [
      { header: 'variant' },
      { header: 'tokens/s' },
      { header: 'time to first token' },
      { header: 'bytes/token' },
      { header: 'ws tokens/s ÷ this' },
      { header: 'ws first token ÷ this' },
    ],
    rows: present.map(row),
  };
}

export function verdictColumns(): Column[] {
  return [{ header: 'profile' }, { header: 'goal', align: 'left' }, { header: 'ours' }, { header: 'reference' }, { header: 'measured' }, { header: 'needed' }, { header: 'verdict', align: 'left' }];
}

export function verdictRows(verdicts: readonly ProfileVerdict[]): string[][] {
  return verdicts.map((v) => {
    const g = GOALS.find((x) => x.id === v.id);
    const format = g ? READ[g.figure].format : formatCount;
    return [
      v.profile,
      v.statement,
      format(v.ours.value),
      format(v.reference.value),
      formatRatio(v.ratio),
      `${v.direction === 'atLeast' ? '≥' : '≤'} ${formatRatio(v.threshold)}`,
      v.met ? 'met' : 'not met',
    ];
  });
}
