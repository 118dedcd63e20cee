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
}

/** A server started by a fixture for one test. */
export interface ServerHandle {
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
