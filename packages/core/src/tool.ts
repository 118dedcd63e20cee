import type { Call, InvokeOptions } from './call.js';
import { AgentSocketError, ErrorCode, ProtocolError } from './errors.js';
import { ReportedResult } from './incoming.js';
import type { Delivery, ToolAnnotations, ToolInfo } from './messages.js';
import { type CompiledSchema, compileSchema, type InferInput, type InputSchema } from './schema.js';
import { isAsyncIterable } from './run-tool.js';
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

export interface RegisteredTool {
  readonly hidden: boolean;
  readonly info: ToolInfo;
  readonly schema: CompiledSchema;
  readonly handler: ToolHandler<never>;
}

type ChangeListener = (added: ToolInfo[], removed: string[]) => void;
/** An object told of changes through a method (a Peer), so it needs no closure to subscribe. */
export interface ToolAnnouncer {
  announceTools(added: ToolInfo[], removed: string[]): void;
}
/** Told of every change: a listener, an announcer, or a child registry that passes it on. */
type Subscriber = ChangeListener | ToolAnnouncer | ToolRegistry;

/**
 * Tools by name. A registry may have a parent: lookups fall back to it and its changes are
 * passed on (a session's own tools layered over its agent's).
 */
export class ToolRegistry {
  // A server keeps one registry per session, mostly empty with one subscriber (its Peer):
  // the map is made by the first add, and a lone subscriber needs no Set.
  private tools: Map<string, RegisteredTool> | undefined;
  private subscribers: Subscriber | Set<Subscriber> | undefined;
  private readonly parent: ToolRegistry | undefined;

  constructor(parent?: ToolRegistry) {
    this.parent = parent;
    parent?.subscribe(this);
  }

  add<S extends InputSchema>(name: string, definition: ToolDefinition<S>): ToolInfo {
    if (!/^[A-Za-z0-9_.\-/]{1,128}$/.test(name)) {
      throw new AgentSocketError('INVALID_OPTIONS', `tool name "${name}" must be 1-128 of [A-Za-z0-9_.-/]`);
    }
    if (name.startsWith(SYSTEM_PREFIX)) {
      throw new AgentSocketError('INVALID_OPTIONS', `tool names starting with "${SYSTEM_PREFIX}" are reserved`);
    }
    return this.register(name, definition, false);
  }

  /** Adds a reserved `asp.*` tool: callable, never listed or announced. */
  addSystem<S extends InputSchema>(name: string, definition: ToolDefinition<S>): void {
    if (!name.startsWith(SYSTEM_PREFIX)) throw new AgentSocketError('INVALID_OPTIONS', `system tools start with "${SYSTEM_PREFIX}"`);
    this.register(name, definition, true);
  }

  private register<S extends InputSchema>(name: string, definition: ToolDefinition<S>, hidden: boolean): ToolInfo {
    this.tools ??= new Map();
    const tools = this.tools;
    if (tools.has(name)) throw new AgentSocketError('DUPLICATE_TOOL', `tool "${name}" is already defined`);
    const schema = compileSchema(definition.input);
    const info: ToolInfo = { name, inputSchema: schema.jsonSchema };
    if (definition.description !== undefined) info.description = definition.description;
    if (definition.title !== undefined) info.title = definition.title;
    if (definition.annotations !== undefined) info.annotations = definition.annotations;
    // The handler is stored with a widened argument type; arguments are validated before it runs.
    let handler: ToolHandler<never> = definition.handler;
    if (definition.output !== undefined) {
      const output = compileSchema(definition.output);
      info.outputSchema = output.jsonSchema;
      handler = checkedOutput(name, handler, output);
    }
    tools.set(name, { info, schema, handler, hidden });
    if (!hidden) this.emit([info], []);
    return info;
  }

  remove(name: string): boolean {
    if (this.tools?.get(name)?.hidden) return false;
    const existed = this.tools?.delete(name) ?? false;
    if (existed) this.emit([], [name]);
    return existed;
  }

  get(name: string): RegisteredTool | undefined {
    return this.tools?.get(name) ?? this.parent?.get(name);
  }

  list(): ToolInfo[] {
    const own = [...(this.tools?.values() ?? [])].filter((t) => !t.hidden).map((t) => t.info);
    if (!this.parent) return own;
    const names = new Set(own.map((t) => t.name));
    return [...this.parent.list().filter((t) => !names.has(t.name)), ...own];
  }

  onChange(listener: ChangeListener | ToolAnnouncer): () => void {
    this.subscribe(listener);
    return () => this.unsubscribe(listener);
  }

  dispose(): void {
    this.parent?.unsubscribe(this);
    this.subscribers = undefined;
  }

  private subscribe(subscriber: Subscriber): void {
    const current = this.subscribers;
    if (current === undefined) this.subscribers = subscriber;
    else if (current instanceof Set) current.add(subscriber);
    else this.subscribers = new Set([current, subscriber]);
  }

  private unsubscribe(subscriber: Subscriber): void {
    const current = this.subscribers;
    if (current === subscriber) this.subscribers = undefined;
    else if (current instanceof Set) current.delete(subscriber);
  }

  private emit(added: ToolInfo[], removed: string[]): void {
    const current = this.subscribers;
    if (current === undefined) return;
    for (const s of current instanceof Set ? current : [current]) {
      if (typeof s === 'function') s(added, removed);
      else if (s instanceof ToolRegistry) s.emit(added, removed);
      else s.announceTools(added, removed);
    }
  }
}

/** The handler, with its result checked against the tool's output schema (ERROR 500 when it does not match). */
function checkedOutput(name: string, handler: ToolHandler<never>, output: CompiledSchema): ToolHandler<never> {
  const check = async (result: unknown): Promise<unknown> => {
    // A forwarded result (the relay's) is checked by its value and keeps its remote metrics.
    const value = result instanceof ReportedResult ? result.value : result;
    const checked = await output.validate(value);
    if (!checked.ok) throw new ProtocolError(ErrorCode.HANDLER_ERROR, `the result of "${name}" does not match its outputSchema: ${checked.message}`);
    return result instanceof ReportedResult ? new ReportedResult(checked.value, result.metrics) : checked.value;
  };
  return (args, ctx) => {
    const produced: unknown = (handler as ToolHandler<unknown>)(args, ctx);
    if (isAsyncIterable(produced)) return checkedStream(produced, check);
    return Promise.resolve(produced).then(check);
  };
}

async function* checkedStream(stream: AsyncIterable<unknown>, check: (result: unknown) => Promise<unknown>): AsyncGenerator<unknown, unknown, undefined> {
  const iterator = stream[Symbol.asyncIterator]();
  let finished = false;
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done) {
        finished = true;
        return await check(next.value);
      }
      yield next.value;
    }
  } finally {
    // Stopped early (an INTERRUPT): let the handler's own generator run its finally blocks.
    if (!finished) await iterator.return?.();
  }
}
