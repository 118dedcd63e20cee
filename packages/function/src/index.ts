export { CONTENT_TYPES, codecOfContentType, type RelayCodecName, relayCodec } from './codec.js';
export { CallbackError, RelayCallbacks } from './callback-client.js';
export { FunctionContext, type RelayCallContext, relayContext } from './context.js';
export {
  decodeRelayFrame,
  encodeRelayFrame,
  FRAME_HEADER_SIZE,
  FRAMES_CONTENT_TYPE,
  parseTools,
  type RelayFrame,
  RelayFrameError,
  RelayFrameReader,
  RelayFrameType,
  type RelayMetrics,
} from './frames.js';
export { type FetchHandler, type FunctionHandlerOptions, functionHandler } from './handler.js';
export {
  type CallbackInfo,
  type CancelRequest,
  DELIVERY_TO_WIRE,
  deliveryFromWire,
  encodeCancelRequest,
  encodeCompatRequest,
  encodeInvokeRequest,
  type InvokeRequest,
  parseCancelRequest,
  parseInvokeRequest,
} from './request.js';
export {
  canonicalBytes,
  DEFAULT_MAX_SKEW_MS,
  hmacHex,
  SIGNATURE_HEADER,
  type SignatureCheck,
  signRequest,
  TIMESTAMP_HEADER,
  toHex,
  verifyRequest,
} from './sign.js';
