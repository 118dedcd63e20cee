/** Helpers for reading MULTI replies (TIME, ZRANGE … WITHSCORES, HGETALL). */

export function redisNow(time: unknown): number {
  if (!Array.isArray(time)) return Date.now();
  return Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000);
}

/** Node → last beat, for nodes whose beat is younger than the TTL. */
export function liveNodes(time: unknown, flat: unknown, ttlMs: number): Map<string, number> {
  const now = redisNow(time);
  const live = new Map<string, number>();
  if (!Array.isArray(flat)) return live;
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const beat = Number(flat[i + 1]);
    if (beat >= now - ttlMs) live.set(String(flat[i]), beat);
  }
  return live;
}

export function isStringMap(v: unknown): v is Record<string, string> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
