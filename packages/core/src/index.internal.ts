/**
 * `@agentsocket/core/internal`: the engine's parts that the sibling packages of this repository
 * share (the session peer, the reliable channel, codecs, HELLO and payload parsing, ids, the wire
 * validators). Not part of the user API: it changes with any release, without a major version.
 */
export { backoffDelay, sleep } from './backoff.js';
export { type AbortForwarding, abortReason, CallTable, PendingCall } from './call-table.js';
export { createCodec, jsonCodec, msgpackCodec } from './codec.js';
export { claimWaiting } from './dedup.js';
export { type DescribedFrame, describeFrame, flagNames, type JsonValue, payloadToJson } from './describe-frame.js';
export {
  type ClientHello,
  decodeClientHello,
  decodeServerHello,
  encodeClientHello,
  encodeServerHello,
  type ServerHello,
} from './hello.js';
export { checkMessageId, RequestIdAllocator, ulidFactory, ulidFromBytes, ulidTime, ulidToBytes } from './ids.js';
export { ReportedResult } from './tool-output.js';
export { type Message, parseMessage, parseToolInfo } from './messages.js';
export { leanPayload, type Payload, payloadFrame, unreliableMessageFrame } from './payloads.js';
export { Peer, type PeerHost, type PeerOptions } from './peer.js';
export { ReliableChannel, type WindowOptions } from './reliable.js';
export { isAsyncIterable, runTool } from './run-tool.js';
export { compileSchema } from './schema.js';
export { mayClaimAgentId } from './teams.js';
export type { ToolAnnouncer } from './tool-registry.js';
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
