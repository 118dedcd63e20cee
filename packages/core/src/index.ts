/**
 * The user API: agents and tools, the client and the server, calls, errors, and the seams a user
 * plugs in (Hub, SessionStore, DedupStore, Connector) with their in-memory implementations.
 * Transport authors import `@agentsocket/core/transport`; the engine's parts that the sibling
 * packages of this repository share are in `@agentsocket/core/internal` (no stability promise).
 */
export { Agent, type AgentDefinition, defineAgent, isAgent, type ToolSet, type ToolsOf } from './agent.js';
export type { BackoffOptions } from './backoff.js';
export { Call, type CallResult, type InvokeOptions } from './call.js';
export { AgentClient, type AgentClientOptions, type ConnectedInfo, type InvokeArgs, type ReconnectCause, type ReconnectingInfo, type ReconnectOptions, type ToolCall, type ToolName } from './client.js';
export type { SchemaInput, SchemaOutput, ToolArgs, ToolChunk, ToolResult } from './infer.js';
export type { Codec, CodecName } from './codec.js';
export * from './defaults.js';
export { type DedupClaim, type DedupStore, MemoryDedupStore, type MemoryDedupOptions } from './dedup.js';
export type { ClientInstrumentation, ServerInstrumentation } from './instrumentation.js';
export { type IdempotentOptions, idempotent } from './once.js';
export { Emitter } from './emitter.js';
export type { ErrorEventLimit } from './error-limit.js';
export {
  AgentSocketBaseError,
  AgentSocketError,
  type AgentSocketErrorCode,
  CloseCode,
  ErrorCode,
  ProtocolError,
} from './errors.js';
export { LocalErrorWireCode, wireCodeOf } from './wire-code.js';
export { type DetachOptions, type Hub, type HubConnection, type HubMember, MemoryHub, type MemoryHubOptions, type Target, type TeamMessage } from './hub.js';
export { type MemoryConnector, memoryConnector } from './memory-transport.js';
export { MemorySessionStore } from './memory-session-store.js';
export type { SessionJournal, SessionRecord, SessionStore, StoredSession } from './session-store.js';
export type { CallMetrics, Delivery, ToolAnnotations, ToolInfo } from './messages.js';
export type { WindowOptions } from './reliable.js';
export type { InputSchema, JsonSchema, StandardSchemaV1 } from './schema.js';
export { AgentServer, type AgentServerOptions, type SessionInfo } from './server.js';
export { DEFAULT_NAMESPACE, type NamespaceRule, type TeamsOptions } from './teams.js';
export { type AnyToolDefinition, type ToolContext, type ToolDefinition, type ToolHandler, SYSTEM_PREFIX, tool } from './tool.js';
export { ToolRegistry } from './tool-registry.js';
export type { ConnectionInfo, Connector, Principal, Transport, TransportCloseInfo } from './transport.js';
