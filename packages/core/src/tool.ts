import type { Call, InvokeOptions } from './call.js';
import { AgentSocketError } from './errors.js';
import type { Delivery, ToolAnnotations } from './messages.js';
import type { InferInput, InputSchema } from './schema.js';
import type { Principal } from './transport.js';

/** What a tool handler sees besides its arguments. */
export interface ToolContext {
  /** Aborted when the caller sends INTERRUPT or the session ends. */
  readonly signal: AbortSignal;
  readonly tool: string;
  readonly messageId: string;
  readonly requestId: number;
  readonly sessionId: string;
  readonly principal: Principal | undefined;
  readonly traceparent: string | undefined;
  readonly delivery: Delivery;
  /** Announces a new tool to this peer now (TOOL_DEF); the peer can call it at once. */
  defineTool<S extends InputSchema>(name: string, definition: ToolDefinition<S>): void;
  /** Invokes a tool the peer serves (full duplex), e.g. to ask a clarifying question mid-stream. Delivery defaults to at-most-once inside an at-most-once call, at-least-once otherwise. */
  invokePeer<T = unknown>(tool: string, args?: unknown, options?: InvokeOptions): Call<T>;
  /**
   * Runs a side effect once per message id and `key`, recorded in the server's dedup store (the
   * Redis one in a cluster): a re-run of this request (resumed on another node, retried with the
   * same message id) gets the recorded result instead of running `effect` again. See
   * `idempotent()` for the one window left and how to close it (docs/cluster.md, "Effects exactly once").
   */
  once<T>(key: string, effect: () => T | Promise<T>): Promise<T>;
}

/**
 * A handler streams by being an async generator (each `yield` is a STREAM frame, the return value
 * is the COMPLETE result) or answers once by returning a value or a promise.
 */
export type ToolHandler<A = Record<string, unknown>> = (
  args: A,
  ctx: ToolContext,
) => AsyncIterable<unknown> | AsyncGenerator<unknown, unknown, undefined> | Promise<unknown> | unknown;

/**
 * A tool: its schemas, metadata and handler. `S` is the input schema's type, `R` what the handler
 * returns and `O` the output schema's type; `tool()` infers all three so a typed client
 * (`AgentClient<typeof agent>`) can read argument, chunk and result types from them.
 */
export interface ToolDefinition<S extends InputSchema = InputSchema, R = unknown, O extends InputSchema | undefined = InputSchema | undefined> {
  description?: string;
  /** A human-readable name for display (carried in ToolInfo, and to MCP hosts). */
  title?: string;
  /** JSON Schema (draft 2020-12) or a Standard Schema such as zod. Arguments are validated before the handler runs. */
  input?: S;
  /**
   * JSON Schema or a Standard Schema of the result. Announced as `outputSchema`; a result that does
   * not match it ends the call with ERROR 500 instead of a COMPLETE (chunks are not checked).
   */
  output?: O;
  /** MCP-style hints (readOnlyHint, destructiveHint, idempotentHint, openWorldHint). */
  annotations?: ToolAnnotations;
  // Method syntax on purpose: a definition with a precise schema stays assignable to ToolDefinition.
  handler(args: InferInput<S>, ctx: ToolContext): R;
}

/**
 * Any tool definition, whatever its schema and handler types: what an agent's tool set and a
 * client's tools accept. (A ToolDefinition's input type reaches its handler's arguments through
 * conditional types, so `ToolDefinition<precise>` is not assignable to `ToolDefinition`.)
 */
export type AnyToolDefinition = Omit<ToolDefinition, 'handler'> & { handler(args: never, ctx: ToolContext): unknown };

/**
 * Identity helper that infers types from the definition: the handler's arguments from the input
 * schema (a Standard Schema's output type, or a JSON Schema literal written inline), and the
 * handler's return type and output schema, which a typed client reads its results from.
 */
export function tool<const S extends InputSchema, R, const O extends InputSchema | undefined = undefined>(definition: ToolDefinition<S, R, O>): ToolDefinition<S, R, O> {
  return definition;
}

/** Tool names with this prefix are the protocol's own (teams, rooms); agents cannot define them. */
export const SYSTEM_PREFIX = 'asp.';

/** Throws INVALID_OPTIONS for a name an agent or client cannot give a tool (1-128 of [A-Za-z0-9_.-/], not `asp.*`). */
export function checkToolName(name: string): void {
  if (!/^[A-Za-z0-9_.\-/]{1,128}$/.test(name)) {
    throw new AgentSocketError('INVALID_OPTIONS', `tool name "${name}" must be 1-128 of [A-Za-z0-9_.-/]`);
  }
  if (name.startsWith(SYSTEM_PREFIX)) {
    throw new AgentSocketError('INVALID_OPTIONS', `tool names starting with "${SYSTEM_PREFIX}" are reserved`);
  }
}
