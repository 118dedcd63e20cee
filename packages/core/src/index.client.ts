/**
 * `@agentsocket/core/client`: the client API alone, for browser pages and other client-only code:
 * `AgentClient` and what its options, calls and tools use, the errors it throws, and the defaults.
 * Everything here is also exported by `@agentsocket/core`; importing this entry instead keeps a
 * bundler from reaching the server, the hubs and the stores, so code a client loads only when it
 * needs it (the incoming-call side, the tool registry, the JSON Schema validator) stays out of
 * what a page loads first (docs/transports/ws.md, "In the browser").
 */
export type { Agent, ToolSet, ToolsOf } from './agent.js';
export type { BackoffOptions } from './backoff.js';
export { Call, type CallResult, type InvokeOptions } from './call.js';
export { AgentClient, type AgentClientOptions, type ConnectedInfo, type InvokeArgs, type ReconnectCause, type ReconnectingInfo, type ReconnectOptions, type ToolCall, type ToolName } from './client.js';
export type { DedupClaim, DedupStore } from './dedup.js';
export * from './defaults.js';
export { AgentSocketBaseError, AgentSocketError, type AgentSocketErrorCode, CloseCode, ErrorCode, ProtocolError } from './errors.js';
export type { TeamMessage } from './hub.js';
export type { SchemaInput, SchemaOutput, ToolArgs, ToolChunk, ToolResult } from './infer.js';
export type { ClientInstrumentation } from './instrumentation.js';
export type { CallMetrics, Delivery, ToolAnnotations, ToolInfo } from './messages.js';
export type { WindowOptions } from './reliable.js';
export type { InputSchema, JsonSchema, StandardSchemaV1 } from './schema.js';
export { type AnyToolDefinition, type ToolContext, type ToolDefinition, type ToolHandler, tool } from './tool.js';
export type { Connector, Principal, Transport, TransportCloseInfo } from './transport.js';
