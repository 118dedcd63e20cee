import * as flag from './flag.js';
import * as type from './frame-type.js';
import * as space from './request-id-space.js';

/** Protocol version carried in the high nibble of every frame header. */
export const PROTOCOL_VERSION = 1;

/** WebSocket subprotocol name negotiated at the upgrade. */
export const SUBPROTOCOL = 'asp-v1';

/** Frame types (the low nibble of byte 0). 0x1–0x7 are draft-01's; 0x8 and up are ours. */
export const FrameType = {
  HELLO: type.HELLO,
  INVOKE: type.INVOKE,
  STREAM: type.STREAM,
  INTERRUPT: type.INTERRUPT,
  TOOL_DEF: type.TOOL_DEF,
  ERROR: type.ERROR,
  COMPLETE: type.COMPLETE,
  ACK: type.ACK,
  PING: type.PING,
  PONG: type.PONG,
  GOAWAY: type.GOAWAY,
  MESSAGE: type.MESSAGE,
  EXTENSION: type.EXTENSION,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

const names: Record<number, string> = Object.fromEntries(Object.entries(FrameType).map(([k, v]) => [v, k]));

export function frameTypeName(type: number): string {
  return names[type] ?? `0x${type.toString(16)}`;
}

export function isKnownFrameType(type: number): type is FrameType {
  return type in names;
}

/** Header flag bits (byte 1). */
export const Flag = {
  /** HELLO: this is the server's reply. */
  REPLY: flag.REPLY,
  /** The payload carries a session sequence number `sq` and is replayed until acknowledged. */
  RELIABLE: flag.RELIABLE,
} as const;

/** Request IDs: 0 addresses the connection; the client allocates 0x0001–0x7fff, the server 0x8000–0xffff. */
export const RequestIdSpace = {
  CONNECTION: space.CONNECTION,
  CLIENT_MIN: space.CLIENT_MIN,
  CLIENT_MAX: space.CLIENT_MAX,
  SERVER_MIN: space.SERVER_MIN,
  SERVER_MAX: space.SERVER_MAX,
} as const;
