import { isRecord } from '@agentsocket/core/internal';

/** What a node measured over its last heartbeat interval (calls routed to its agents). */
export interface NodeStats {
  /** Calls that ended in the window. */
  calls: number;
  /** Of those, the ones that failed. */
  errors: number;
  /** Median and 99th percentile duration of those calls, ms (0 with no calls). */
  p50Ms: number;
  p99Ms: number;
  /** The window's length, ms: `calls / windowMs * 1000` is the throughput. */
  windowMs: number;
  /** Agents this node holds. */
  agents: number;
}

/** One node of the cluster as the registry sees it. */
export interface NodeInfo {
  node: string;
  /** Its last heartbeat (Redis clock, ms). */
  lastSeen: number;
  /** Its heartbeat is younger than the node TTL. */
  alive: boolean;
  stats: NodeStats | undefined;
}

export function decodeStats(text: string | undefined): NodeStats | undefined {
  if (text === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(v)) return undefined;
  const { calls, errors, p50Ms, p99Ms, windowMs, agents } = v;
  const nums = [calls, errors, p50Ms, p99Ms, windowMs, agents];
  if (!nums.every((n) => typeof n === 'number' && Number.isFinite(n) && n >= 0)) return undefined;
  return { calls: Number(calls), errors: Number(errors), p50Ms: Number(p50Ms), p99Ms: Number(p99Ms), windowMs: Number(windowMs), agents: Number(agents) };
}

/** Counts call durations between two heartbeats; percentiles from the sorted window (capped). */
export class CallWindow {
  private durations: number[] = [];
  private calls = 0;
  private errors = 0;
  private started = Date.now();
  private readonly cap: number;

  constructor(cap = 10_000) {
    this.cap = cap;
  }

  record(durationMs: number, failed: boolean): void {
    this.calls++;
    if (failed) this.errors++;
    // Past the cap, keep a uniform sample (reservoir) so the percentiles stay fair under load.
    if (this.durations.length < this.cap) this.durations.push(durationMs);
    else {
      const i = Math.floor(Math.random() * this.calls);
      if (i < this.cap) this.durations[i] = durationMs;
    }
  }

  /** The window so far, then a new one. */
  take(agents: number): NodeStats {
    const now = Date.now();
    const sorted = this.durations.sort((a, b) => a - b);
    const at = (p: number) => (sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0));
    const stats = { calls: this.calls, errors: this.errors, p50Ms: round(at(0.5)), p99Ms: round(at(0.99)), windowMs: Math.max(1, now - this.started), agents };
    this.durations = [];
    this.calls = 0;
    this.errors = 0;
    this.started = now;
    return stats;
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
