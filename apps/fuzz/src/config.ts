import type { AgentServerOptions } from '@agentsocket/core';

/** The token the server under fuzz accepts; everything else is refused (401). */
export const TOKEN = 'fuzz-token';

const MiB = 1024 * 1024;

/**
 * The server's options: core's defaults (16 MiB frames, 256 KiB HELLO, shape limits), except a
 * slow-consumer bound, a session TTL and a handshake timeout short enough for the suite to watch
 * them act, and a send
 * window of 16 MiB: a reader that stops holds its window until it is cut and its session expires,
 * and core's default window (64 MiB) alone is the whole per-input bound.
 */
export const SERVER_OPTIONS = {
  window: { maxBytes: 16 * MiB },
  slowConsumerBytes: 1 * MiB,
  slowConsumerMs: 1000,
  sessionTtlMs: 3000,
  handshakeTimeoutMs: 5000,
} satisfies AgentServerOptions;

/** Core's frame limit, which the memory bound per input is stated in. */
export const MAX_FRAME_BYTES = 16 * MiB;
