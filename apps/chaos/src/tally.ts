import type { Ledger } from './ledger.js';
import { type CallKind, type CallRecord, KINDS } from './workload.js';

export interface Latency {
  p50: number;
  p99: number;
  max: number;
}

/**
 * The counts a fault-injection run is judged by (definitions in docs/cluster.md, "Fault
 * injection"). `lost` and `duplicated` must be 0; `reordered` must be 0; re-runs are allowed
 * where the delivery guarantee allows them, and counted.
 */
export interface Tally {
  calls: number;
  byKind: Record<CallKind, number>;
  completed: number;
  /** Calls that ended with an error the caller was given (not lost): by error code and message. */
  failed: number;
  failures: Record<string, number>;
  /** lostCalls + lostEffects + lostChunks. */
  lost: number;
  /** Calls with no outcome by the end of the run. */
  lostCalls: number;
  lostByKind: Record<CallKind, number>;
  /** Completed exactly-once calls whose side effect never happened. */
  lostEffects: number;
  /** Chunks missing from completed streams. */
  lostChunks: number;
  /** duplicatedEffects + duplicatedChunks. */
  duplicated: number;
  /** Side effects applied beyond the first for one exactly-once call (distinct idempotency keys). */
  duplicatedEffects: number;
  /** Effect attempts beyond the first that repeated an idempotency key, so the external system absorbed them. */
  absorbedEffects: number;
  /** Chunks the caller was given twice. */
  duplicatedChunks: number;
  /** Chunks given to the caller after a later chunk of the same stream. */
  reordered: number;
  /** Answers that were not the call's own. */
  mismatched: number;
  /** Handler runs beyond the first, per kind (exactly-once re-runs are allowed only without a second effect). */
  reruns: Record<CallKind, number>;
  /** Calls that settled only after they were given up on (after `lostAfterMs`), so not lost. */
  late: number;
  latency: Record<CallKind, Latency>;
}

export function tally(records: readonly CallRecord[], ledger: Ledger, lostAfterMs: number): Tally {
  const byKind = { 'exactly-once': 0, 'at-least-once': 0, stream: 0 };
  const reruns = { 'exactly-once': 0, 'at-least-once': 0, stream: 0 };
  const lostByKind = { 'exactly-once': 0, 'at-least-once': 0, stream: 0 };
  const durations: Record<CallKind, number[]> = { 'exactly-once': [], 'at-least-once': [], stream: [] };
  const failures: Record<string, number> = {};
  const t = {
    completed: 0,
    failed: 0,
    lostCalls: 0,
    lostEffects: 0,
    lostChunks: 0,
    duplicatedEffects: 0,
    duplicatedChunks: 0,
    reordered: 0,
    mismatched: 0,
    late: 0,
    absorbedEffects: 0,
  };
  for (const r of records) {
    byKind[r.kind]++;
    reruns[r.kind] += Math.max(0, ledger.startsOf(r.key) - 1);
    t.duplicatedChunks += r.chunks.duplicated;
    t.reordered += r.chunks.reordered;
    if (r.mismatched) t.mismatched++;
    if (r.kind === 'exactly-once') {
      t.duplicatedEffects += Math.max(0, ledger.effectsOf(r.key) - 1);
      t.absorbedEffects += ledger.attemptsOf(r.key) - ledger.effectsOf(r.key);
    }
    if (r.status === 'pending') {
      t.lostCalls++;
      lostByKind[r.kind]++;
      continue;
    }
    const took = (r.settledAt ?? r.issuedAt) - r.issuedAt;
    if (took > lostAfterMs) t.late++;
    if (r.status === 'failed') {
      t.failed++;
      const why = (r.error ?? 'unknown').slice(0, 120);
      failures[why] = (failures[why] ?? 0) + 1;
      continue;
    }
    t.completed++;
    durations[r.kind].push(took);
    t.lostChunks += r.chunks.missing;
    if (r.kind === 'exactly-once' && ledger.effectsOf(r.key) === 0) t.lostEffects++;
  }
  const latency = Object.fromEntries(KINDS.map((k) => [k, summarize(durations[k])])) as Record<CallKind, Latency>;
  return {
    calls: records.length,
    byKind,
    ...t,
    failures,
    lostByKind,
    lost: t.lostCalls + t.lostEffects + t.lostChunks,
    duplicated: t.duplicatedEffects + t.duplicatedChunks,
    reruns,
    latency,
  };
}

export function summarize(values: readonly number[]): Latency {
  if (values.length === 0) return { p50: 0, p99: 0, max: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] ?? 0 };
}

/** A two-column table, one row per label, for the printed summaries. */
export function table(title: string, rows: Array<[string, string | number]>): string {
  const width = Math.max(...rows.map(([label]) => label.length));
  const lines = rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`);
  return `${title}\n${lines.join('\n')}\n`;
}

/** The rows every run prints. */
export function tallyRows(t: Tally): Array<[string, string | number]> {
  const ms = (l: Latency) => `p50 ${l.p50} ms, p99 ${l.p99} ms, max ${l.max} ms`;
  return [
    ['calls', `${t.calls} (exactly-once ${t.byKind['exactly-once']}, at-least-once ${t.byKind['at-least-once']}, streams ${t.byKind.stream})`],
    ['completed', t.completed],
    ['failed (caller told)', t.failed === 0 ? 0 : `${t.failed}: ${Object.entries(t.failures).map(([k, v]) => `${v}× ${k}`).join('; ')}`],
    [
      'LOST',
      `${t.lost} (calls ${t.lostCalls}: exactly-once ${t.lostByKind['exactly-once']}, at-least-once ${t.lostByKind['at-least-once']}, streams ${t.lostByKind.stream}; effects ${t.lostEffects}, chunks ${t.lostChunks})`,
    ],
    ['DUPLICATED', `${t.duplicated} (effects ${t.duplicatedEffects}, chunks ${t.duplicatedChunks})`],
    ['effect re-sent, same idempotency key', `${t.absorbedEffects} (absorbed by the external system)`],
    ['REORDERED', t.reordered],
    ['mismatched answers', t.mismatched],
    ['re-runs', `exactly-once ${t.reruns['exactly-once']}, at-least-once ${t.reruns['at-least-once']}, streams ${t.reruns.stream}`],
    ['late (settled after given up)', t.late],
    ['latency exactly-once', ms(t.latency['exactly-once'])],
    ['latency at-least-once', ms(t.latency['at-least-once'])],
    ['latency stream', ms(t.latency.stream)],
  ];
}
