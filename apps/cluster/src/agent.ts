import { type Agent, defineAgent, type ToolSet, tool } from '@agentsocket/core';

export interface CountResult {
  total: number;
  /** The node that finished the stream (after a failover, not the one that started it). */
  node: string;
}

/**
 * The agent every cluster node serves. Its tools say which node answered, so tests and the demo
 * can tell where a connection landed and prove a stream finished on another node; `extra` adds
 * the node's own tools (the registry's and the dashboard's); `wrap` instruments them (the node's metrics).
 */
export function createClusterAgent(nodeId: string, extra: ToolSet = {}, wrap: (tools: ToolSet) => ToolSet = (tools) => tools): Agent {
  return defineAgent({
    name: 'cluster-agent',
    version: '1.0.0',
    tools: wrap({
      ...extra,
      whoami: tool({
        description: 'Which node serves this connection',
        input: { type: 'object' },
        handler: () => ({ node: nodeId, pid: process.pid }),
      }),
      count: tool({
        description: 'Streams 0..n-1, pausing delayMs between chunks (a long stream to interrupt)',
        input: {
          type: 'object',
          properties: { n: { type: 'integer', minimum: 0, maximum: 100_000 }, delayMs: { type: 'integer', minimum: 0, maximum: 1000 } },
          required: ['n'],
          additionalProperties: false,
        },
        async *handler(args, ctx): AsyncGenerator<number, CountResult> {
          const n = Number(args['n']);
          const delayMs = Number(args['delayMs'] ?? 0);
          for (let i = 0; i < n; i++) {
            ctx.signal.throwIfAborted();
            if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
            yield i;
          }
          return { total: n, node: nodeId };
        },
      }),
    }),
  });
}
