/**
 * The WebSocket close codes ASP uses (docs/protocol.md §20), one constant each: `import * as
 * CloseCode` and a bundler inlines `CloseCode.NORMAL` as 1000. `CloseCode` in errors.ts is the
 * public object with the same names. Nothing else belongs in this file (no imports).
 */
export const NORMAL = 1000;
export const GOING_AWAY = 1001;
export const PROTOCOL_ERROR = 1002;
export const ABNORMAL_CLOSURE = 1006;
export const INVALID_PAYLOAD = 1007;
export const POLICY_VIOLATION = 1008;
export const MESSAGE_TOO_BIG = 1009;
export const INTERNAL_ERROR = 1011;
export const BAD_FRAME = 4400;
export const UNAUTHORIZED = 4401;
export const FORBIDDEN = 4403;
export const CONFLICT = 4409;
export const HANDSHAKE_TIMEOUT = 4408;
export const FRAME_TOO_LARGE = 4413;
export const HEARTBEAT_TIMEOUT = 4504;
export const SESSION_EXPIRED = 4410;
export const UNSUPPORTED_CODEC = 4415;
export const UNSUPPORTED_VERSION = 4426;
export const SLOW_CONSUMER = 4429;
export const SERVER_SHUTDOWN = 4503;
