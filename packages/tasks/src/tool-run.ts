import { AgentSocketError, Call, type DedupStore, idempotent, type ToolContext } from '@agentsocket/core';

export interface TaskContextInit {
  tool: string;
  taskId: string;
  idempotencyKey: string;
  attempt: number;
  signal: AbortSignal;
  traceparent: string | undefined;
  /** Where ctx.once records its effects (the worker's dedup store), kept for `ttlMs`. */
  dedup: DedupStore;
  ttlMs: number;
}

/**
 * The ToolContext a handler sees when it runs a queued task: messageId is the idempotency key
 * (stable across attempts, so a handler can key its own side effects by it), requestId the
 * attempt, sessionId "task:<id>", delivery exactly-once; ctx.once(key, effect) runs `effect` once
 * per idempotency key and `key` across attempts. There is no peer: invokePeer fails and defineTool
 * throws.
 */
export function taskToolContext(init: TaskContextInit): ToolContext {
  return {
    signal: init.signal,
    tool: init.tool,
    messageId: init.idempotencyKey,
    requestId: init.attempt,
    sessionId: `task:${init.taskId}`,
    principal: undefined,
    traceparent: init.traceparent,
    delivery: 'exactly-once',
    defineTool: () => {
      throw new AgentSocketError('INVALID_OPTIONS', 'a queued task has no peer to define tools for');
    },
    invokePeer: <T = unknown>(tool: string): Call<T> => {
      const call = new Call<T>(tool, `${init.idempotencyKey}:peer`, 'at-most-once');
      call.fail(new AgentSocketError('NO_SUCH_PEER_TOOL', `a queued task has no peer to call ${tool} on`));
      return call;
    },
    once: (key, effect) => idempotent(init.dedup, `tasks:${init.idempotencyKey}#${key}`, effect, { ttlMs: init.ttlMs, signal: init.signal }),
  };
}
