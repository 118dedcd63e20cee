/** A target stated as a ratio against a reference measured in the same run. */
export interface Target {
  /** Short id, e.g. "throughput@32". */
  id: string;
  /** What the target says, e.g. "ours ≥ 80% of raw ws echo". */
  statement: string;
  /** The measured ratio (ours / reference, as the statement defines it). */
  ratio: number;
  /** Whether the ratio must be at least or at most the threshold. */
  direction: 'atLeast' | 'atMost';
  threshold: number;
}

export interface Verdict extends Target {
  met: boolean;
}

export function judge(target: Target): Verdict {
  const met = Number.isFinite(target.ratio) && (target.direction === 'atLeast' ? target.ratio >= target.threshold : target.ratio <= target.threshold);
  return { ...target, met };
}

export function verdictLabel(v: Verdict): string {
  return v.met ? 'met' : 'not met';
}
