/**
 * Frame types (the low nibble of byte 0), one constant each: `import * as FrameType` and a
 * bundler inlines `FrameType.INVOKE` as 2. `FrameType` in opcodes.ts is the public object with
 * the same names. Nothing else belongs in this file (no imports).
 */
export const HELLO = 0x1;
export const INVOKE = 0x2;
export const STREAM = 0x3;
export const INTERRUPT = 0x4;
export const TOOL_DEF = 0x5;
export const ERROR = 0x6;
export const COMPLETE = 0x7;
export const ACK = 0x8;
export const PING = 0x9;
export const PONG = 0xa;
export const GOAWAY = 0xb;
export const MESSAGE = 0xc;
export const EXTENSION = 0xf;
