import { parseArgs } from 'node:util';

export interface CommonOptions {
  quick: boolean;
  /** Measured rounds per comparison. */
  rounds: number;
  /** Length of one measured round of a network variant, ms. */
  roundMs: number;
  /** Warm-up per variant before round 1, ms. */
  warmupMs: number;
  /** Where JSON reports go. */
  outDir: string;
  /** Parts to run (--only a,b); empty means all. */
  only: string[];
  help: boolean;
}

export interface CommonDefaults {
  full: { rounds: number; roundMs: number; warmupMs: number };
  quick: { rounds: number; roundMs: number; warmupMs: number };
  outDir: string;
}

/**
 * The flags every bench program shares: --quick, --rounds N, --round-ms MS, --warmup-ms MS,
 * --only a,b, --out DIR, --help. Extra boolean flags a program adds come back in `flags`.
 */
export function parseCommonArgs(
  argv: readonly string[],
  defaults: CommonDefaults,
  extraFlags: readonly string[] = [],
): { options: CommonOptions; flags: Record<string, boolean> } {
  const { values } = parseArgs({
    args: argv.filter((a) => a !== '--'), // `pnpm start -- --quick` passes the separator through
    options: {
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      'round-ms': { type: 'string' },
      'warmup-ms': { type: 'string' },
      out: { type: 'string' },
      only: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
      ...Object.fromEntries(extraFlags.map((f) => [f, { type: 'boolean' as const, default: false }])),
    },
    strict: true,
  });
  const base = values.quick ? defaults.quick : defaults.full;
  const flags: Record<string, boolean> = {};
  const all: Record<string, unknown> = values;
  for (const f of extraFlags) flags[f] = all[f] === true;
  return {
    options: {
      quick: values.quick === true,
      rounds: positiveInt(values.rounds, '--rounds') ?? base.rounds,
      roundMs: positiveInt(values['round-ms'], '--round-ms') ?? base.roundMs,
      warmupMs: positiveInt(values['warmup-ms'], '--warmup-ms') ?? base.warmupMs,
      outDir: typeof values.out === 'string' ? values.out : defaults.outDir,
      only: typeof values.only === 'string' ? values.only.split(',').map((s) => s.trim()).filter((s) => s !== '') : [],
      help: values.help === true,
    },
    flags,
  };
}

function positiveInt(value: unknown, flag: string): number | undefined {
  if (typeof value !== 'string') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} needs a positive integer, got "${value}"`);
  return n;
}
