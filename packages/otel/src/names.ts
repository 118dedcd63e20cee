/**
 * Every name this package gives the telemetry it makes: metric names, span names and attribute
 * keys, in one place (docs/observability.md lists them with units and meaning).
 */
export const METRIC = {
  connectionsOpened: 'asp.server.connections.opened',
  connectionsActive: 'asp.server.connections.active',
  bytesReceived: 'asp.server.bytes.received',
  bytesSent: 'asp.server.bytes.sent',
  sessions: 'asp.server.sessions',
  sessionsStarted: 'asp.server.sessions.started',
  resumes: 'asp.server.resumes',
  sessionsEnded: 'asp.server.sessions.ended',
  toolCalls: 'asp.tool.calls',
  toolDuration: 'asp.tool.duration',
  clientCalls: 'asp.client.calls',
  clientDuration: 'asp.client.duration',
  tasksSubmitted: 'asp.tasks.submitted',
  tasksSettled: 'asp.tasks.settled',
  taskDuration: 'asp.tasks.duration',
  taskRedeliveries: 'asp.tasks.redeliveries',
  taskErrors: 'asp.tasks.errors',
  queueDepth: 'asp.tasks.queue.depth',
} as const;

export const ATTR = {
  transport: 'asp.transport',
  agent: 'asp.agent',
  node: 'asp.node.id',
  tool: 'asp.tool',
  outcome: 'asp.outcome',
  errorCode: 'asp.error.code',
  delivery: 'asp.delivery',
  messageId: 'asp.message.id',
  sessionId: 'asp.session.id',
  taskId: 'asp.task.id',
  taskOutcome: 'asp.task.outcome',
  taskState: 'asp.task.state',
  created: 'asp.task.created',
  rpcSystem: 'rpc.system',
  rpcMethod: 'rpc.method',
} as const;

/** Span names: the kind of step, then the tool. */
export const SPAN = {
  invoke: (tool: string) => `asp.invoke ${tool}`,
  tool: (tool: string) => `asp.tool ${tool}`,
  submit: (tool: string) => `asp.task.submit ${tool}`,
} as const;

/** `asp.outcome`: how a call or tool run ended. */
export type CallOutcome = 'ok' | 'error';

/** Latency bucket bounds, seconds: 0.5 ms to 60 s (the API's default bounds are for milliseconds). */
export const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** The instrumentation scope name every tracer and meter of this package uses. */
export const SCOPE = '@agentsocket/otel';
