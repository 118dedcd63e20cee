/**
 * The numeric wire error codes (docs/protocol.md §19), one constant each: `import * as ErrorCode`
 * and a bundler inlines `ErrorCode.BAD_FRAME` as 400. `ErrorCode` in errors.ts is the public
 * object with the same names. Nothing else belongs in this file (no imports): a bundler inlines
 * only constants of a module that has none.
 */
export const BAD_FRAME = 400;
export const UNAUTHORIZED = 401;
export const FORBIDDEN = 403;
export const TOOL_NOT_FOUND = 404;
export const AGENT_NOT_FOUND = 406;
export const TIMEOUT = 408;
export const CONFLICT = 409;
export const SESSION_EXPIRED = 410;
export const FRAME_TOO_LARGE = 413;
export const UNSUPPORTED_CODEC = 415;
export const INVALID_ARGUMENTS = 422;
export const UNSUPPORTED_VERSION = 426;
export const TOO_MANY_REQUESTS = 429;
export const INTERRUPTED = 499;
export const HANDLER_ERROR = 500;
export const UNKNOWN_FRAME_TYPE = 501;
export const BAD_GATEWAY = 502;
export const UNAVAILABLE = 503;
export const GATEWAY_TIMEOUT = 504;
