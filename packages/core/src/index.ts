export { Agent, type AgentDefinition, defineAgent, isAgent, type ToolSet, type ToolsOf } from './agent.js';
export { type BackoffOptions, backoffDelay, sleep } from './backoff.js';
export { Call, type CallResult, type InvokeOptions } from './call.js';
export { type AbortForwarding, abortReason, CallTable, PendingCall } from './call-table.js';
export { AgentClient, type AgentClientOptions, type ConnectedInfo, type InvokeArgs, type ReconnectCause, type ReconnectingInfo, type ReconnectOptions, type ToolCall, type ToolName } from './client.js';
export type { SchemaInput, SchemaOutput, ToolArgs, ToolChunk, ToolResult } from './infer.js';
export { type Codec, type CodecName, createCodec, jsonCodec, msgpackCodec } from './codec.js';
export * from './defaults.js';
export { claimWaiting, type DedupClaim, type DedupStore, MemoryDedupStore, type MemoryDedupOptions } from './dedup.js';
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
  LocalErrorWireCode,
  ProtocolError,
  wireCodeOf,
} from './errors.js';
export { decodeFrame, encodeFrame, type Frame, HEADER_SIZE, peekHeader } from './frame.js';
export {
  type ClientHello,
  decodeClientHello,
  decodeServerHello,
  encodeClientHello,
  encodeServerHello,
  type ServerHello,
} from './hello.js';
export { type Beating, HeartbeatClock } from './heartbeat.js';
export { type DetachOptions, type Hub, type HubConnection, type HubMember, MemoryHub, type MemoryHubOptions, type Target, type TeamMessage } from './hub.js';
export { checkMessageId, RequestIdAllocator, ulidFactory, ulidTime } from './ids.js';
export { ReportedResult } from './incoming.js';
export { type MemoryConnector, memoryConnector, memoryTransportPair } from './memory-transport.js';
export { MemorySessionStore } from './memory-session-store.js';
export type { SessionJournal, SessionRecord, SessionStore, StoredSession } from './session-store.js';
export { type CallMetrics, type Delivery, type Message, parseMessage, parseToolInfo, type ToolAnnotations, type ToolInfo } from './messages.js';
export { Flag, FrameType, frameTypeName, PROTOCOL_VERSION, RequestIdSpace, SUBPROTOCOL } from './opcodes.js';
export { Peer, type PeerOptions } from './peer.js';
export { ReliableChannel, type WindowOptions } from './reliable.js';
export { compileSchema, type InputSchema, type JsonSchema, type StandardSchemaV1 } from './schema.js';
export { AgentServer, type AgentServerOptions, type SessionInfo } from './server.js';
export { DEFAULT_NAMESPACE, mayClaimAgentId, type NamespaceRule, type TeamsOptions } from './teams.js';
export { type AnyToolDefinition, type ToolAnnouncer, type ToolContext, type ToolDefinition, type ToolHandler, SYSTEM_PREFIX, ToolRegistry, tool } from './tool.js';
export { BaseTransport, type BaseTransportOptions, closeReason, INTERNAL_ERROR } from './transport-base.js';
export {
  type ConnectionInfo,
  type Connector,
  isTransport,
  type Principal,
  type Transport,
  type TransportCloseInfo,
  transportSymbol,
} from './transport.js';
/** Validators for values decoded from the wire or a store: they narrow without casts. */
export {
  expectRecord,
  int,
  isRecord,
  list,
  num,
  optBool,
  optInt,
  optNum,
  optStr,
  optUint,
  str,
  strArray,
  uint,
  type WireRecord,
  WireShapeError,
} from './wire.js';
export { isAsyncIterable, runTool } from './run-tool.js';
export { type DescribedFrame, describeFrame, flagNames, type JsonValue, payloadToJson } from './describe-frame.js';
