import type { MachineInfo } from '@agentsocket/bench/lib';
import type { VariantResult } from '../results.js';
import type { Phase } from '../run.js';
import type { Settings } from '../settings.js';
import type { TargetVerdict } from '../targets.js';

/** Everything one run produced: the JSON report, and what the terminal, HTML and docs tables are made from. */
export interface ComparisonReport {
  tool: '@agentsocket/compare';
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  machine: MachineInfo;
  /** 1-minute load average at start and end: other work on the machine skews every figure. */
  loadAverage: { start: number; end: number };
  versions: Record<string, string>;
  /** How the code ran: compiled JS (figures to quote) or TS sources through tsx. */
  runtime: { compiled: boolean; execArgv: string[] };
  settings: Settings;
  /** Seconds per phase of the run. */
  phases: Phase[];
  workload: { echoArgs: unknown; rawEchoBytes: number; chunk: string; question: string };
  variants: VariantResult[];
  targets: TargetVerdict[];
  /** Why the run is not trustworthy: errors, missing or insane figures. Empty when all is well. */
  problems: string[];
  /** How the figures were measured, one sentence each. */
  method: string[];
}
