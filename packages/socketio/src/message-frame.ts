import type { Codec, TeamMessage } from '@agentsocket/core';
import { encodeFrame, FrameType } from '@agentsocket/core/transport';

/**
 * The MESSAGE frame of an at-most-once team message, as core's Peer.deliver builds it. Without
 * the RELIABLE flag it carries no session sequence number, so one encoding serves every session
 * that speaks `codec`, and Socket.IO can broadcast the same bytes to all of them.
 */
export function unreliableMessageFrame(codec: Codec, message: TeamMessage): Buffer {
  const payload: Record<string, unknown> = { id: message.id, ev: message.event, data: message.data, from: message.from };
  if (message.room !== undefined) payload['room'] = message.room;
  const frame = encodeFrame(FrameType.MESSAGE, 0, 0, codec.encode(payload));
  // A Buffer view (no copy): adapters that re-encode packets for Redis recognise Buffers as binary.
  return Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
}
