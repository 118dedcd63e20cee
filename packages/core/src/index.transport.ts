/**
 * `@agentsocket/core/transport`: what a transport author needs (docs/writing-a-transport.md): the
 * Transport seam and its guard, BaseTransport, the frame header codec, the frame types and flags,
 * the subprotocol name, close codes, the heartbeat clock, and the in-memory transport pair.
 */
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
export { CloseCode } from './errors.js';
export { decodeFrame, encodeFrame, type Frame, HEADER_SIZE, peekHeader } from './frame.js';
export { Flag, FrameType, frameTypeName, PROTOCOL_VERSION, RequestIdSpace, SUBPROTOCOL } from './opcodes.js';
export { type Beating, HeartbeatClock } from './heartbeat.js';
export { type MemoryConnector, memoryConnector, memoryTransportPair } from './memory-transport.js';
