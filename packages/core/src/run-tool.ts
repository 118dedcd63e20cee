import type { ToolContext, ToolHandler } from './tool.js';

/** What runs as a stream: an async generator, or anything else async-iterable. */
export function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/**
 * Runs one tool handler outside an ASP session (an MCP call, a queued task): each yielded chunk goes to `onChunk`
 * (awaited, so a slow consumer slows the handler), the return value is the result. Stops the
 * generator and throws the abort reason once `ctx.signal` aborts.
 */
export async function runTool(
  handler: ToolHandler<never>,
  args: unknown,
  ctx: ToolContext,
  onChunk: (chunk: unknown) => Promise<void>,
): Promise<unknown> {
  // Arguments were validated against the tool's schema; Reflect.apply widens the stored handler type.
  const produced: unknown = Reflect.apply(handler, undefined, [args, ctx]);
  if (!isAsyncIterable(produced)) return await produced;
  const it = produced[Symbol.asyncIterator]();
  for (;;) {
    const step = await it.next();
    if (ctx.signal.aborted) {
      await it.return?.();
      throw ctx.signal.reason;
    }
    if (step.done) return step.value;
    await onChunk(step.value);
  }
}
