import { Call, type CallMetrics, type InvokeOptions, idempotent, MemoryDedupStore, type Principal, type ToolContext, type ToolRegistry } from '@agentsocket/core';

/** Answers a question the agent asks its caller mid-call (ctx.invokePeer). */
export type AskCaller = (tool: string, args: unknown, signal: AbortSignal) => Promise<unknown>;

export interface McpToolContextInit {
  readonly tool: string;
  readonly signal: AbortSignal;
  readonly messageId: string;
  readonly requestId: number;
  readonly sessionId: string;
  readonly principal: Principal | undefined;
  readonly traceparent: string | undefined;
  /** Where ctx.defineTool puts tools: this MCP session's registry. */
  readonly registry: ToolRegistry;
  readonly ask: AskCaller;
  readonly newId: () => string;
}

/**
 * The ToolContext an agent's handler sees when an MCP client called it. MCP has no retries, so
 * delivery is at-most-once; invokePeer becomes a question to the MCP client (see elicitation.ts).
 */
export function mcpToolContext(init: McpToolContextInit): ToolContext {
  let once: MemoryDedupStore | undefined;
  return {
    signal: init.signal,
    tool: init.tool,
    messageId: init.messageId,
    requestId: init.requestId,
    sessionId: init.sessionId,
    principal: init.principal,
    traceparent: init.traceparent,
    delivery: 'at-most-once',
    defineTool: (name, definition) => {
      init.registry.add(name, definition);
    },
    // MCP never repeats a request, so once per key within this call is all there is to keep.
    once: <T>(key: string, effect: () => T | Promise<T>): Promise<T> => {
      once ??= new MemoryDedupStore({ maxEntries: 1000 });
      return idempotent(once, key, effect, { signal: init.signal });
    },
    invokePeer: <T = unknown>(tool: string, args?: unknown, options?: InvokeOptions): Call<T> => {
      const call = new Call<T>(tool, init.newId(), 'at-most-once');
      const started = performance.now();
      const signal = options?.signal ? AbortSignal.any([init.signal, options.signal]) : init.signal;
      init.ask(tool, args ?? {}, signal).then(
        (value) => call.complete(value, metrics(started)),
        (error: unknown) => call.fail(error),
      );
      return call;
    },
  };
}

function metrics(started: number): CallMetrics {
  return { durationMs: Math.round((performance.now() - started) * 1000) / 1000, chunks: 0 };
}
