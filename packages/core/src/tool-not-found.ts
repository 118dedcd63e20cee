/** How many tool names an unknown-tool error lists before "and N more". */
const LISTED = 20;
/** How many close names it suggests. */
const SUGGESTED = 3;

/**
 * The message of ERROR 404 for an unknown tool: the closest names first, then what exists, e.g.
 * `no tool named "plna"; did you mean "plan"? tools: plan, research`.
 */
export function toolNotFoundMessage(name: string, available: readonly string[]): string {
  const base = `no tool named "${name}"`;
  if (available.length === 0) return `${base}; this peer serves no tools`;
  const close = closestNames(name, available);
  const guess = close.length > 0 ? `; did you mean ${close.map((n) => `"${n}"`).join(' or ')}?` : ';';
  const sorted = [...available].sort();
  const listed = sorted.slice(0, LISTED).join(', ');
  const more = sorted.length > LISTED ? ` and ${sorted.length - LISTED} more` : '';
  return `${base}${guess} tools: ${listed}${more}`;
}

/** Names within a small edit distance of `name` (case-insensitive), or that contain it, closest first. */
export function closestNames(name: string, available: readonly string[]): string[] {
  const wanted = name.toLowerCase();
  const budget = Math.max(1, Math.floor(wanted.length / 3));
  const scored: Array<{ name: string; distance: number }> = [];
  for (const candidate of available) {
    const lower = candidate.toLowerCase();
    const distance = editDistance(wanted, lower);
    if (distance <= budget || (wanted.length >= 3 && (lower.includes(wanted) || wanted.includes(lower)))) {
      scored.push({ name: candidate, distance });
    }
  }
  scored.sort((a, b) => a.distance - b.distance || (a.name < b.name ? -1 : 1));
  return scored.slice(0, SUGGESTED).map((s) => s.name);
}

/**
 * Optimal string alignment distance (Levenshtein plus adjacent swaps, so "plna" is one edit from
 * "plan"). Names are at most 128 characters; two rows of numbers are enough.
 */
export function editDistance(a: string, b: string): number {
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  let current = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, (before[j - 2] ?? 0) + 1);
      current[j] = best;
    }
    [before, previous, current] = [previous, current, before];
  }
  return previous[b.length] ?? 0;
}
