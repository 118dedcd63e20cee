/** One thing being compared: a name and one measurement of it. */
export interface RoundVariant<R, N extends string = string> {
  readonly name: N;
  /** Measures once. `round` is 0-based; -1 marks a warm-up whose result is thrown away. */
  run(round: number): Promise<R> | R;
}

export interface InterleaveOptions<R, N extends string = string> {
  rounds: number;
  /** Warm-up passes over every variant before round 0. @default 1 */
  warmups?: number;
  /** Called after every measured run, e.g. to print progress. */
  onResult?: (variant: N, round: number, result: R) => void;
  /** Called between runs (not timed), e.g. to collect garbage so one variant's debt is not paid by the next. */
  between?: () => void | Promise<void>;
}

/**
 * Runs variants interleaved: A round 0, B round 0, A round 1, B round 1, ... so slow drift of the
 * machine (thermal, other load, JIT state) hits every variant alike. Results come back per variant,
 * in round order, so results[i] of two variants were measured back to back.
 */
export async function interleave<R, N extends string = string>(
  variants: readonly RoundVariant<R, N>[],
  options: InterleaveOptions<R, N>,
): Promise<Map<N, R[]>> {
  const results = new Map<N, R[]>(variants.map((v) => [v.name, []]));
  for (let w = 0; w < (options.warmups ?? 1); w++) {
    for (const v of variants) {
      await options.between?.();
      await v.run(-1);
    }
  }
  for (let round = 0; round < options.rounds; round++) {
    for (const v of variants) {
      await options.between?.();
      const result = await v.run(round);
      results.get(v.name)?.push(result);
      options.onResult?.(v.name, round, result);
    }
  }
  return results;
}

/** Collects garbage when node runs with --expose-gc; a no-op otherwise. */
export function collectGarbage(): void {
  globalThis.gc?.();
}
