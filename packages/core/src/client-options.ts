import type { BackoffOptions } from './backoff.js';
import type { Call, InvokeOptions } from './call.js';
import type { DedupStore } from './dedup.js';
import type { AgentSocketError, ProtocolError } from './errors.js';
import type { ToolsOf } from './agent.js';
import type { ToolArgs, ToolChunk, ToolResult } from './infer.js';
import type { ClientInstrumentation } from './instrumentation.js';
import type { WindowOptions } from './reliable.js';
import type { AnyToolDefinition } from './tool.js';
import type { Connector } from './transport.js';

/** AgentClient's options and events, and the types a typed client (`AgentClient<typeof agent>`) reads from its agent. */

export interface ReconnectOptions extends BackoffOptions {
  /** Attempts before giving up and failing every open call. @default Infinity */
  maxAttempts?: number;
}

export interface AgentClientOptions {
  /** Opens a transport; called again for every reconnect. */
  connect: Connector;
  /** Tools this client serves, callable by the agent (full duplex). */
  tools?: Record<string, AnyToolDefinition>;
  /** Bearer token sent in HELLO (browsers cannot set an Authorization header). */
  token?: string;
  /** This client's agent id, shown to the server. */
  name?: string;
  /** Codecs to offer, preferred first. @default ['msgpack', 'json'] */
  codecs?: string[];
  /** Largest frame payload accepted, bytes. @default 16 MiB */
  maxFrameBytes?: number;
  /** Requests the server may have running at this client. @default 64 */
  maxInflight?: number;
  /** Proposed heartbeat interval, ms. @default 30000 */
  heartbeatMs?: number;
  /** @default 10000 */
  handshakeTimeoutMs?: number;
  /** Reconnect and resume after a drop; false to fail open calls instead. */
  reconnect?: ReconnectOptions | false;
  /**
   * Attempts the first `connect()` makes in all before it rejects with the last attempt's error,
   * waiting between them with the reconnect backoff (`reconnect`'s initialMs, maxMs, factor,
   * jitter) and emitting `reconnecting` before each retry. Retried: failures to connect (the
   * connector's errors, a handshake cut or timed out) and the server's 5xx, 408 and 429; any other
   * refusal in HELLO (401, 403, 406, 409, …) rejects at once. 1 turns retrying off, Infinity
   * retries for ever; below 1 (or NaN) rejects with INVALID_OPTIONS.
   * @default 5 (about 1.5 s of backoff in all), or 1 when `reconnect` is false
   */
  connectAttempts?: number;
  window?: WindowOptions;
  /** Dedup store for exactly-once calls the server makes to this client. @default memory */
  dedup?: DedupStore;
  /** Namespace (team) to join, e.g. "/team-alpha". @default "/" */
  namespace?: string;
  /**
   * Offer several frames per transport message, used when the server agrees and the transport
   * can (the WebSocket transport; protocol.md §2). @default true
   */
  batch?: boolean;
  /**
   * Offer acknowledgements carried by the frames that go out anyway (protocol.md §11), used when
   * the server agrees: a standalone ACK is then only for one-way traffic. @default true
   */
  piggybackAcks?: boolean;
  /**
   * Offer the lean envelope (protocol.md §6): shorter INVOKE, STREAM and COMPLETE payloads, a
   * ULID message id as 16 bytes, and COMPLETE metrics only for a call made with `metrics: true`
   * (InvokeOptions). Used when the server agrees. @default true
   */
  lean?: boolean;
  /** Observes every call (spans, metrics, a traceparent added), e.g. `@agentsocket/otel`'s. @default none */
  instrumentation?: ClientInstrumentation;
}

export interface ConnectedInfo {
  sessionId: string;
  resumed: boolean;
}

/** Why the client is about to try again: the last attempt's error, or the drop itself. */
export type ReconnectCause = AgentSocketError | ProtocolError;

export interface ReconnectingInfo {
  /** Which retry this is: 1 for the first after a drop (or after the first connect() attempt failed). */
  attempt: number;
  /** How long the client waits before it. */
  delayMs: number;
  /**
   * Why: for the first retry after a drop, CONNECTION_LOST naming the close code and reason;
   * after that, the error the previous attempt failed with (the connector's, e.g. HANDSHAKE_FAILED
   * naming the URL, or the server's refusal in HELLO such as 503).
   */
  cause: ReconnectCause;
}

/** Whether `A` is an agent type whose tools are known (from `defineAgent`), not plain `Agent`. */
export type Typed<A> = string extends keyof ToolsOf<A> ? false : true;

/** The names of a typed agent's tools. */
export type ToolName<A> = keyof ToolsOf<A> & string;

/** What `invoke(name, ...)` takes after the name: arguments (optional when `{}` is valid) and options. */
export type InvokeArgs<A, N extends ToolName<A>> = ToolArgs<ToolsOf<A>[N]> extends infer Args
  ? Record<never, never> extends Args // no required property: the arguments may be left out
    ? [args?: Args, options?: InvokeOptions]
    : [args: Args, options?: InvokeOptions]
  : never;

/** The call `invoke(name, ...)` returns on a typed client: result and chunk types read from the tool. */
export type ToolCall<A, N extends ToolName<A>> = Call<ToolResult<ToolsOf<A>[N]>, ToolChunk<ToolsOf<A>[N]>>;
