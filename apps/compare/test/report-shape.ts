/** Reads the JSON report a child process wrote, checking its shape instead of trusting it. */

export interface ReportVariant {
  id: string;
  errors: unknown[];
  cannot: Record<string, unknown>;
  rounds: Record<string, number[]>;
  figures: Record<string, number>;
}

export interface ReportShape {
  rounds: number;
  memoryRounds: number;
  variants: ReportVariant[];
  targets: Array<{ number: string; met: boolean; ratio: number }>;
  /** Per call profile, per variant: calls and bytes per call of every round at 1 and at 32 in flight. */
  calls: Array<{ profile: string; one: Record<string, RoundShape[]>; many: Record<string, RoundShape[]> }>;
  /** Per variant that streams: tokens/s and time to first token of every round. */
  stream: Record<string, Array<{ tokensPerSecond: number; firstTokenMs: number }>>;
  goals: Array<{ profile: string; id: string; ratio: number }>;
  problems: unknown[];
}

export interface RoundShape {
  calls: number;
  perSecond: number;
  bytesPerCall: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function numbers(value: unknown): number[] {
  if (!Array.isArray(value)) throw new Error('expected an array of numbers');
  return value.map((v) => {
    if (typeof v !== 'number') throw new Error(`expected a number, got ${JSON.stringify(v)}`);
    return v;
  });
}

function numberRecord(value: unknown): Record<string, number> {
  if (!isRecord(value)) throw new Error('expected an object of numbers');
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'number') throw new Error(`${k} is not a number`);
    out[k] = v;
  }
  return out;
}

export function readReport(raw: unknown): ReportShape {
  if (!isRecord(raw) || !isRecord(raw['settings']) || !Array.isArray(raw['variants']) || !Array.isArray(raw['targets'])) {
    throw new Error('not a compare report');
  }
  const { rounds, memoryRounds } = raw['settings'];
  if (typeof rounds !== 'number' || typeof memoryRounds !== 'number') throw new Error('settings lack rounds');
  const variants = raw['variants'].map((v): ReportVariant => {
    if (!isRecord(v) || typeof v['id'] !== 'string' || !Array.isArray(v['errors']) || !isRecord(v['cannot']) || !isRecord(v['rounds'])) {
      throw new Error('bad variant');
    }
    const perRound: Record<string, number[]> = {};
    for (const [k, r] of Object.entries(v['rounds'])) perRound[k] = numbers(r);
    return { id: v['id'], errors: v['errors'], cannot: v['cannot'], rounds: perRound, figures: numberRecord(v['figures']) };
  });
  const targets = raw['targets'].map((t) => {
    if (!isRecord(t) || typeof t['number'] !== 'string' || typeof t['met'] !== 'boolean' || typeof t['ratio'] !== 'number') {
      throw new Error('bad target');
    }
    return { number: t['number'], met: t['met'], ratio: t['ratio'] };
  });
  if (!Array.isArray(raw['calls']) || !isRecord(raw['stream']) || !Array.isArray(raw['goals'])) throw new Error('no profiles in the report');
  const roundsOf = (value: unknown): Record<string, RoundShape[]> => {
    if (!isRecord(value)) throw new Error('bad profile rounds');
    const out: Record<string, RoundShape[]> = {};
    for (const [id, list] of Object.entries(value)) {
      if (!Array.isArray(list)) throw new Error(`bad rounds of ${id}`);
      out[id] = list.map((r) => {
        const n = numberRecord(Object.fromEntries(Object.entries(isRecord(r) ? r : {}).filter(([k]) => ['calls', 'perSecond', 'bytesPerCall'].includes(k))));
        return { calls: n['calls'] ?? Number.NaN, perSecond: n['perSecond'] ?? Number.NaN, bytesPerCall: n['bytesPerCall'] ?? Number.NaN };
      });
    }
    return out;
  };
  const calls = raw['calls'].map((c) => {
    if (!isRecord(c) || typeof c['profile'] !== 'string') throw new Error('bad call profile');
    return { profile: c['profile'], one: roundsOf(c['one']), many: roundsOf(c['many']) };
  });
  const stream: ReportShape['stream'] = {};
  for (const [id, list] of Object.entries(raw['stream'])) {
    if (!Array.isArray(list)) throw new Error(`bad stream rounds of ${id}`);
    stream[id] = list.map((r) => {
      const n = numberRecord(Object.fromEntries(Object.entries(isRecord(r) ? r : {}).filter(([k]) => ['tokensPerSecond', 'firstTokenMs'].includes(k))));
      return { tokensPerSecond: n['tokensPerSecond'] ?? Number.NaN, firstTokenMs: n['firstTokenMs'] ?? Number.NaN };
    });
  }
  const goals = raw['goals'].map((g) => {
    if (!isRecord(g) || typeof g['profile'] !== 'string' || typeof g['id'] !== 'string' || typeof g['ratio'] !== 'number') throw new Error('bad goal');
    return { profile: g['profile'], id: g['id'], ratio: g['ratio'] };
  });
  return { rounds, memoryRounds, variants, targets, calls, stream, goals, problems: Array.isArray(raw['problems']) ? raw['problems'] : ['problems missing'] };
}
