import { DEFAULT_MAX_FRAME_BYTES, DEFAULT_WINDOW_BYTES } from '@agentsocket/core/client';

/** Defaults shared by the server and both clients; each is documented where it is an option. */

const KIB = 1024;

/** Core's default largest frame payload (AgentServerOptions / AgentClientOptions `maxFrameBytes`). */
export const CORE_DEFAULT_MAX_FRAME_BYTES = DEFAULT_MAX_FRAME_BYTES;

export const DEFAULT_PATH = '/asp';
export const DEFAULT_PING_INTERVAL_MS = 30_000;
export const DEFAULT_OPEN_TIMEOUT_MS = 10_000;

/**
 * Once batching is agreed in HELLO, frames sent in one event-loop turn leave as one WebSocket
 * message of at most this many bytes (a larger frame goes alone). Well under any peer's message cap.
 */
export const BATCH_BYTES = 32 * KIB;

/** How long a socket closed by this end may take to finish the close handshake before it is destroyed. */
export const CLOSE_GRACE_MS = 1_000;

/**
 * The hard cap `ws` enforces on one message: twice core's frame limit plus room for the header,
 * so an oversized frame normally meets core's softer FRAME_TOO_LARGE ERROR, not a 1009 close.
 */
export function defaultMaxPayload(maxFrameBytes: number): number {
  return maxFrameBytes * 2 + 64 * KIB;
}

/**
 * Core's whole default send window plus one frame: a resume replays its window in one burst, and a
 * smaller bound would cut that replay as a slow consumer again and again.
 */
export function defaultMaxBufferedBytes(maxPayload: number): number {
  return DEFAULT_WINDOW_BYTES + maxPayload;
}

/**
 * What a client may send before its HELLO has arrived whole: twice the AgentServer's HELLO limit
 * plus room for WebSocket framing, so a HELLO just over the limit still meets core's ERROR 413.
 */
export function defaultFirstMessageBytes(maxHelloBytes: number): number {
  return maxHelloBytes * 2 + 64 * KIB;
}
