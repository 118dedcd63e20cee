import type { Agent, AgentServer, AgentServerOptions, Connector, Transport } from '@agentsocket/core';

/** What a transport cannot do; the matching tests skip (never fork). */
export interface TransportLimits {
  /** Largest frame the transport can carry in these tests, bytes. @default Infinity */
  maxFrameBytes?: number;
  /** The transport cannot deliver a byte sequence that is not a whole frame (skips malformed-header tests). */
  cannotSendRawBytes?: boolean;
  /**
   * Handlers run in another process reached over a network (Relay mode): a handler sees INTERRUPT
   * shortly after the caller's call has ended with 499, not before, so tests wait for it.
   */
  handlerSeesInterruptLater?: boolean;
  /**
   * The send-buffer bound (maxBufferedBytes) of both ends of the fixture's connections: the rule 5
   * tests flood each end past it and expect 4429 SLOW_CONSUMER with bufferedAmount never above it
   * plus one frame (and 64 KiB). Configure a small one (e.g. 4 MiB) on both ends so the tests stay
   * light. @default DEFAULT_TEST_MAX_BUFFERED_BYTES (128 MiB)
   */
  maxBufferedBytes?: number;
}

/** The send-buffer bound the rule 5 tests assume when the fixture declares none: 128 MiB. */
export const DEFAULT_TEST_MAX_BUFFERED_BYTES = 128 * 1024 * 1024;

/** A server started by a fixture for one test. */
export interface ServerHandle {
  /**
   * The AgentServer built in `start` from the agent and options the suite passed. The server side
   * must hand every connection it accepts to `server.accept(transport, info)`, looked up on this
   * object at the time of the call: the transport-level tests replace `accept` to take the
   * server's end of a connection before core sees it.
   */
  readonly server: AgentServer;
  /**
   * A connector for AgentClient. Each call opens a fresh raw transport (no handshake), so tests
   * can also use it to send hand-made frames. `token` goes where the transport carries auth
   * (e.g. an Authorization header); fixtures without such a place may ignore it. `namespace`
   * is the team namespace the client will ask for in HELLO, for transports that map teams onto
   * their own namespaces (Socket.IO); others ignore it.
   */
  connector(options?: { token?: string; namespace?: string }): Connector;
  /** Ends every open connection abruptly from the server side, as a network failure would. */
  dropConnections(): Promise<void>;
  /**
   * Optional: makes the medium stop reading for `transport` (either end of a connection this
   * fixture made), as a stalled consumer would: what is sent to it piles up in the network and
   * then in the sender's buffer (e.g. `socket.pause()` on the TCP socket); returns false when it
   * cannot for this end. With it, the rule 5 test of a reader that stops reading runs with paced
   * sends too; without it (or on false), that test skips for that end (the synchronous flood
   * still runs).
   */
  stopReading?(transport: Transport): boolean;
  /** Stops the server and frees its resources. */
  close(): Promise<void>;
}

export interface TransportFixture {
  /** Shown in test names, e.g. "ws". */
  readonly name: string;
  readonly limits?: TransportLimits;
  /** Starts a server that serves `agent` over this transport. */
  start(agent: Agent, options?: AgentServerOptions): Promise<ServerHandle>;
}

export type { Transport };
