import { ProtocolError } from './errors.js';
import * as ErrorCode from './error-code.js';
import { isAsyncIterable } from './run-tool.js';
import type { CompiledSchema } from './schema.js';
import type { ToolHandler } from './tool.js';

/**
 * A result whose metrics were measured elsewhere: a handler that forwards a call (the relay) returns
 * one so the COMPLETE carries the remote side's `cpuMs` instead of its own. Chunk counts and wall
 * time stay those measured here.
 */
export class ReportedResult {
  constructor(
    readonly value: unknown,
    readonly metrics: { cpuMs?: number },
  ) {}
}

/** The handler, with its result checked against the tool's output schema (ERROR 500 when it does not match). */
export function checkedOutput(name: string, handler: ToolHandler<never>, output: CompiledSchema): ToolHandler<never> {
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
