/**
 * Measurement helpers shared by the bench programs (apps/bench, apps/compare): interleaved
 * rounds, closed-loop load, medians and percentiles, tables, verdicts, JSON reports, and
 * servers under test in child processes.
 */
export { type ChildHandle, type ChildService, isRecord, serveAsChild, startChild, type StartChildOptions } from './child.js';
export { type CommonDefaults, type CommonOptions, parseCommonArgs } from './cli.js';
export { closedLoop, type LoadOptions, type LoadResult, timeOps } from './load.js';
export { fileTimestamp, loadAverage, type MachineInfo, machineInfo, writeJsonReport } from './report.js';
export { collectGarbage, interleave, type InterleaveOptions, type Variant } from './rounds.js';
export { type LatencySummary, latencySummary, median, pairedRatios, percentileSorted, type Spread, spread } from './stats.js';
export { type Column, formatCount, formatMs, formatNs, formatRatio, renderMarkdownTable, renderTable } from './table.js';
export { judge, type Target, type Verdict, verdictLabel } from './verdict.js';
