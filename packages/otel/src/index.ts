export { AgentSocketTelemetry } from './agent-socket-telemetry.js';
export { CountingTransport, type TransportTotals } from './counting-transport.js';
export { ATTR, type CallOutcome, DURATION_BUCKETS, METRIC, SCOPE, SPAN } from './names.js';
export type { DepthSource, TaskSpecLike, TaskSubmitter, TaskWorkerEvent, ToolList } from './tasks.js';
export type { TelemetryOptions } from './telemetry.js';
export { contextFromTraceparent, formatTraceparent, parseTraceparent, traceparent } from './traceparent.js';
