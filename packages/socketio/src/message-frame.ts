import type { Codec, TeamMessage } from '@agentsocket/core';
import { unreliableMessageFrame as messageFrame } from '@agentsocket/core/internal';

/**
 * The MESSAGE frame of an at-most-once team message, built by core's payloads module (as every
 * session builds its frames). Without the RELIABLE flag it carries no session sequence number, so
 * one encoding serves every session that speaks `codec`, and Socket.IO can broadcast the same
 * bytes to all of them.
 */
export function unreliableMessageFrame(codec: Codec, message: TeamMessage): Buffer {
  const frame = messageFrame(codec, message);
  // A Buffer view (no copy): adapters that re-encode packets for Redis recognise Buffers as binary.
  return Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
}
