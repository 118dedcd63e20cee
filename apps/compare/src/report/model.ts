import type { CallProfile, CallProfileResult, MachineInfo, ProfileVerdict, StreamProfileResult } from '@agentsocket/bench-kit';
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
  workload: {
    /** Every call profile, with the size of the raw echo's message for it (our INVOKE frame's size). */
    profiles: Array<CallProfile & { rawEchoBytes: number }>;
    streamProfile: { id: string; tokens: number; token: string };
    question: string;
  };
  variants: VariantResult[];
  /** Issue 5's targets, on the small echo profile and the streamed profile. */
  targets: TargetVerdict[];
  /** Every call profile: per variant, every round at 1 and at 32 in flight. */
  calls: CallProfileResult[];
  /** The streamed profile: per variant that streams, every round. */
  stream: StreamProfileResult;
  /** Issue 13's goals, judged per profile. */
  goals: ProfileVerdict[];
  /** Why the run is not trustworthy: errors, missing or insane figures. Empty when all is well. */
  problems: string[];
  /** How the figures were measured, one sentence each. */
  method: string[];
}
