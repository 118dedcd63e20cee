/**
 * The benchmark kit shared by apps/bench, apps/compare and the package benches: interleaved
 * rounds, the closed load loop, medians and percentiles, tables, verdicts, JSON reports, servers
 * in child processes, payload profiles, the bench agent, our ws variant and the references
 * (raw ws echo, hand-written ws + msgpackr RPC, plain Socket.IO, bare MCP SDK server).
 */
export { benchAgent } from './agent.js';
export { type ChildHandle, type ChildService, isRecord, serveAsChild, startChild, type StartChildOptions } from './child.js';
export { type CommonDefaults, type CommonOptions, parseCommonArgs } from './cli.js';
export { aspSession } from './clients/asp.js';
export { msgpackRpcSession } from './clients/msgpack-rpc.js';
export { plainSocketIoSession } from './clients/plain-socketio.js';
export { rawWsSession } from './clients/raw-ws.js';
export {
  GOALS,
  type Goal,
  judgeGoals,
  type ProfileFigure,
  type ProfileVerdict,
  profileTables,
  roundsOf,
  streamTable,
  type TableData,
  verdictColumns,
  verdictRows,
} from './goals.js';
export { closedLoop, type LoadOptions, type LoadResult, timeOps } from './load.js';
export { pool, until } from './pool.js';
export {
  type CallProfileResult,
  type OnRun,
  type ProfileSettings,
  runCallProfiles,
  runStreamProfile,
  type StreamProfileResult,
  settle,
} from './profile-run.js';
export {
  CALL_PROFILE_IDS,
  CALL_PROFILES,
  CALL_TOOL,
  type CallProfile,
  type CallProfileId,
  callProfile,
  checkCount,
  checkReply,
  ECHO_SCHEMA,
  ECHO_TOOL,
  STREAM_PROFILE,
} from './profiles.js';
export { entryOf, KIT_CHILD, type RemoteServer, remote, type ServerFactories, serveServers, startRemote } from './remote.js';
export { fileTimestamp, loadAverage, type MachineInfo, machineInfo, writeJsonReport } from './report.js';
export { type RoundTripResult, roundTrip } from './round-trip.js';
export { collectGarbage, type InterleaveOptions, interleave, type RoundVariant } from './rounds.js';
export { bareMcpServer } from './servers/bare-mcp.js';
export { type BenchServer, type CountingServer, countingServer, kitServers, type ServerCounters } from './servers/index.js';
export { type LatencySummary, latencySummary, median, pairedRatios, percentile, percentileSorted, type Spread, spread } from './stats.js';
export { type StreamingResult, streaming } from './streaming.js';
export { type Column, formatCount, formatMs, formatNs, formatRatio, renderMarkdownTable, renderTable } from './table.js';
export {
  type Capability,
  describeError,
  type Live,
  type MemorySample,
  type Role,
  type Running,
  type Session,
  startLive,
  type Variant,
} from './variant.js';
export { msgpackRpcVariant, plainSocketIoVariant, rawWsVariant, wsVariant } from './variants.js';
export { judge, type Target, type Verdict, verdictLabel } from './verdict.js';
export { warmUp } from './warm-up.js';
export { ANSWER, ANSWER_TOOL, ASK_TOOL, type AskResult, invokeFrameBytes, QUESTION, readAskResult, STREAM_TOOL } from './workload.js';
