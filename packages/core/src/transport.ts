/**
 * The Transport seam: the one interface every transport implements.
 *
 * A transport moves opaque frames (Uint8Array) between two ends, in order. It knows nothing of
 * what a frame means: no INVOKE, no ACK, no sessions. Handshake, resume, heartbeats, dedup and
 * delivery guarantees live in core, above this seam.
 *
 * Rules the types cannot enforce (each is a test in @agentsocket/compliance):
 *  1. Order: frames are delivered to `onframe` in the order the peer passed them to `send`,
 *     each exactly once, never split or merged.
 *  2. Nothing is lost before start: frames that arrive before `start()` is called are buffered
 *     and delivered, in order, once it is.
 *  3. `onclose` fires exactly once, whoever closed, and after it no `onframe` fires.
 *  4. `send` after close (or after `onclose`) throws AgentSocketError('TRANSPORT_CLOSED'),
 *     synchronously; it never silently drops a frame while open.
 *  5. `send` never blocks. A transport that buffers outgoing bytes reports them in
 *     `bufferedAmount` and bounds them: past its limit it closes with CloseCode.SLOW_CONSUMER
 *     instead of growing without bound.
 *  6. `close()` is idempotent and resolves once `onclose` has fired.
 *  7. A frame larger than `maxFrameBytes` is not sent: `send` throws
 *     AgentSocketError('FRAME_TOO_LARGE') and the transport stays open.
 *  8. A transport never throws out of a network callback: bad bytes from the network are
 *     delivered as they are (core answers them) or end this one connection, never the process.
 *
 * And close codes: the code and reason given to `close(code, reason)` reach the other end's
 * `onclose` (with `local: false`); a connection lost without a close reports 1006. How, for each
 * kind of medium, and the fixture the suite needs: docs/writing-a-transport.md.
 */

export const transportSymbol: unique symbol = Symbol.for('@agentsocket/transport');

export interface TransportCloseInfo {
  /** A WebSocket-style close code (see CloseCode). */
  readonly code: number;
  readonly reason: string;
  /** True when this end called close(). */
  readonly local: boolean;
}

export interface Transport {
  readonly [transportSymbol]: true;
  /** A short label for logs and errors, e.g. "ws", "memory", "socket.io". */
  readonly kind: string;
  /** Largest frame this transport carries, in bytes (Infinity when unbounded). */
  readonly maxFrameBytes: number;
  /** Bytes accepted by `send` and not yet handed to the network (0 when unknown). */
  readonly bufferedAmount: number;
  /** True until the transport has closed. */
  readonly open: boolean;

  /** Receives each frame, in order. Set before calling start(). */
  onframe: ((frame: Uint8Array) => void) | undefined;
  /** Fires exactly once when the transport is closed, by either end. */
  onclose: ((info: TransportCloseInfo) => void) | undefined;

  /** Starts delivering frames to `onframe`; buffered ones first. Idempotent. */
  start(): void;
  /**
   * Queues one frame for the peer. See rules 4, 5 and 7. The bytes are the transport's from now
   * on: it may keep a reference until they are written, so the caller must not change them.
   */
  send(frame: Uint8Array): void;
  /** Closes this end. Idempotent; resolves once onclose has fired. */
  close(code?: number, reason?: string): Promise<void>;
  /**
   * Present on transports that can carry several frames in one message (the WebSocket mapping,
   * protocol.md §2). Core calls it once both ends announced `batch` in HELLO; from then on frames
   * sent in one event-loop turn may leave together and received messages are cut into frames by
   * their headers. `onframe` still sees one frame at a time (rule 1).
   */
  readonly enableBatching?: (() => void) | undefined;
}

export function isTransport(value: unknown): value is Transport {
  return typeof value === 'object' && value !== null && transportSymbol in value;
}

/** What a server-side transport knows about the connection it accepted. */
export interface ConnectionInfo {
  /** Which transport accepted it ("ws", "socket.io", "memory", …). */
  readonly transport: string;
  /**
   * The transport's own name for this connection, when it has one (Socket.IO: the socket's id).
   * A hub that maps members onto the transport's connections finds them by it (HubConnection.info).
   */
  readonly id?: string;
  readonly remoteAddress?: string;
  /** The principal established by the transport (e.g. from an Authorization header at upgrade). */
  readonly principal?: Principal;
  /** Request path the connection arrived on. */
  readonly path?: string;
  /**
   * The team namespace the transport itself put the connection in (e.g. a Socket.IO namespace).
   * HELLO may omit `ns` then; if it names another namespace the handshake is refused (403).
   */
  readonly namespace?: string;
  readonly headers?: Readonly<Record<string, string | string[] | undefined>>;
}

/** Who a connection is, as decided by the server's `authenticate` hook. */
export interface Principal {
  readonly id: string;
  /** Free-form claims (roles, allowed namespaces, …) for authorization decisions. */
  readonly claims?: Readonly<Record<string, unknown>>;
}

/**
 * Opens a fresh client-side transport. Called once per connection attempt; the client calls it
 * again to reconnect. Rejects when the connection cannot be made (the client then backs off).
 */
export type Connector = (signal: AbortSignal) => Promise<Transport>;
