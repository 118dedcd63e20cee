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
  problems: unknown[];
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
  return { rounds, memoryRounds, variants, targets, problems: Array.isArray(raw['problems']) ? raw['problems'] : ['problems missing'] };
}
