import type { Call, InvokeOptions } from './call.js';
import type { ConnectionInfo, Transport } from './transport.js';

/**
 * Hooks a server calls so an instrumentation package (such as `@agentsocket/otel`) can observe it
 * without core knowing any telemetry API. Absent (the default), nothing is called and nothing is
 * wrapped: an uninstrumented server runs exactly the code it ran before.
 */
export interface ServerInstrumentation {
  /**
   * Each accepted connection, before its handshake. The server uses the transport returned: the
   * one given, or one that wraps it (to count frames and bytes) and keeps every Transport rule.
   */
  connection?(transport: Transport, info: ConnectionInfo): Transport;
}

/** Hooks a client calls (AgentClientOptions.instrumentation); absent, nothing is called. */
export interface ClientInstrumentation {
  /**
   * Every call the client makes (`invoke`, `invokeAgent` and the team helpers). `send` sends it
   * with the options passed (the hook may add a `traceparent`) and returns its Call, which the
   * hook returns after starting whatever watches it settle.
   */
  invoke<T, C>(tool: string, options: InvokeOptions, send: (options: InvokeOptions) => Call<T, C>): Call<T, C>;
}
