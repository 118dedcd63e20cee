/**
 * Reference defaults, in one place (docs/protocol.md §21 lists them with the error a peer sees
 * when one is reached). Options of the same name override them.
 */

/** Largest frame payload a server accepts, bytes (AgentServerOptions.maxFrameBytes). */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;
/** Largest HELLO payload a server accepts, bytes (maxHelloBytes): room for a client's tool list, 1/64 of the default frame limit. */
export const DEFAULT_MAX_HELLO_BYTES = 256 * 1024;
/** Requests a client may have running at a server at once (AgentServerOptions.maxInflight). */
export const DEFAULT_MAX_INFLIGHT = 256;
/** Requests a server may have running at a client at once (AgentClientOptions.maxInflight). */
export const DEFAULT_CLIENT_MAX_INFLIGHT = 64;
/** Heartbeat interval, ms (heartbeatMs): the server's bound, and what a client proposes. */
export const DEFAULT_HEARTBEAT_MS = 30_000;
/** Time allowed between connect and HELLO (and its reply), ms (handshakeTimeoutMs). */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
/** Unacknowledged frames a session keeps for replay before senders wait (WindowOptions.maxFrames). */
export const DEFAULT_WINDOW_FRAMES = 4096;
/** Unacknowledged bytes a session keeps for replay before senders wait (WindowOptions.maxBytes): a resume replays up to this. */
export const DEFAULT_WINDOW_BYTES = 64 * 1024 * 1024;
/** Longest wait before acknowledging received frames, ms. */
export const DEFAULT_ACK_DELAY_MS = 5;
/** A backlog a server's session may keep unsent for a peer that acknowledges nothing, bytes (slowConsumerBytes)... */
export const DEFAULT_SLOW_CONSUMER_BYTES = 8 * 1024 * 1024;
/** ...for this long before it is closed with 4429, ms (slowConsumerMs). */
export const DEFAULT_SLOW_CONSUMER_MS = 30_000;
/** How long a disconnected session waits for its client to resume, ms (sessionTtlMs). */
export const DEFAULT_SESSION_TTL_MS = 60_000;
/** How long a call whose signal aborted waits for the callee's terminal frame after INTERRUPT before failing with ABORTED, ms. */
export const INTERRUPT_GRACE_MS = 5000;
/** How long exactly-once outcomes are kept, ms (dedupTtlMs). */
export const DEFAULT_DEDUP_TTL_MS = 300_000;
/** Exactly-once outcomes a MemoryDedupStore keeps (maxEntries). */
export const DEFAULT_DEDUP_MAX_ENTRIES = 10_000;
/** Bytes of exactly-once outcomes a MemoryDedupStore keeps, all outcomes together (maxBytes). */
export const DEFAULT_DEDUP_MAX_BYTES = 64 * 1024 * 1024;
/** Bytes of one exactly-once outcome's recorded chunks; beyond it a retry gets the result only (maxRecordedChunkBytes). */
export const DEFAULT_MAX_RECORDED_CHUNK_BYTES = 1024 * 1024;
/** How often a MemoryDedupStore drops expired outcomes, ms (sweepMs). */
export const DEFAULT_DEDUP_SWEEP_MS = 30_000;
/** How long an exactly-once repeat waits for the attempt that holds its key before ERROR 503, ms. */
export const DEDUP_PENDING_WAIT_MS = 15_000;
/** Longest pause between two claims of a held exactly-once key while waiting, ms. */
export const DEDUP_PENDING_POLL_MAX_MS = 250;
/** Sessions one principal may hold on one server, connected or waiting to be resumed (maxSessionsPerPrincipal). */
export const DEFAULT_MAX_SESSIONS_PER_PRINCIPAL = 1000;
/** Longest agent id a HELLO may ask for, characters (maxAgentIdLength). */
export const DEFAULT_MAX_AGENT_ID_LENGTH = 256;
/** Largest tool list a peer may build up with TOOL_DEF, bytes estimated (maxPeerToolBytes; HELLO's list is bounded by the HELLO limit). */
export const DEFAULT_MAX_PEER_TOOL_BYTES = 1024 * 1024;
/** Unacknowledged bytes all sessions waiting to be resumed may keep together on one server (maxRetainedReplayBytes). */
export const DEFAULT_MAX_RETAINED_REPLAY_BYTES = 256 * 1024 * 1024;
/** How long a held agent id stays bound to its principal after its node handed it over or died, ms (agentIdHoldMs). */
export const DEFAULT_AGENT_ID_HOLD_MS = DEFAULT_SESSION_TTL_MS;
/** `error` events a server emits per connection-level interval before it sums up the rest (errorEvents). */
export const DEFAULT_ERROR_EVENTS_PER_INTERVAL = 10;
/** The interval of that limit, ms. */
export const DEFAULT_ERROR_EVENT_INTERVAL_MS = 10_000;
/**
 * Unsent bytes the memory transport keeps for a peer that is not reading before it closes with
 * 4429 SLOW_CONSUMER (MemoryTransportOptions.maxBufferedBytes): the 64 MiB send window plus two
 * largest frames, so a resume's replay burst fits.
 */
export const DEFAULT_MEMORY_MAX_BUFFERED_BYTES = DEFAULT_WINDOW_BYTES + 2 * DEFAULT_MAX_FRAME_BYTES;
