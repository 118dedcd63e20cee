import { ProtocolError, type ToolContext, type ToolRegistry } from '@agentsocket/core';
import { type RelayFrame, RelayFrameType, type RelayMetrics } from './frames.js';
import type { InvokeRequest } from './request.js';

type Write = (frame: RelayFrame) => void;
type Entry = NonNullable<ReturnType<ToolRegistry['get']>>;

/** Validates the arguments, runs the handler and writes its frames, ending with exactly one RESULT or ERROR. */
export async function run(
  entry: Pick<Entry, 'schema' | 'handler'> | undefined,
  call: InvokeRequest,
  ctx: ToolContext,
  signal: AbortSignal,
  write: Write,
): Promise<void> {
  const started = performance.now();
  let cpuMs = 0;
  let chunks = 0;
  const metrics = (): RelayMetrics => ({ durationMs: round(performance.now() - started), cpuMs: round(cpuMs), chunks });
  try {
    if (!entry) throw new ProtocolError(404, `no tool "${call.tool}"`);
    const checked = await entry.schema.validate(call.args ?? {});
    if (!checked.ok) throw new ProtocolError(422, `invalid arguments for "${call.tool}": ${checked.message}`);
    let t = performance.now();
    // Arguments were validated against the tool's schema above.
    const produced: unknown = (entry.handler as (args: unknown, ctx: ToolContext) => unknown)(checked.value, ctx);
    cpuMs += performance.now() - t;
    let result: unknown;
    if (isAsyncIterable(produced)) {
      const it = produced[Symbol.asyncIterator]();
      for (;;) {
        t = performance.now();
        const step = it.next();
        cpuMs += performance.now() - t;
        const r = await step;
        if (signal.aborted) {
          await it.return?.();
          break;
        }
        if (r.done) {
          result = r.value;
          break;
        }
        write(r.value instanceof Uint8Array ? { type: RelayFrameType.CHUNK_BYTES, data: r.value } : { type: RelayFrameType.CHUNK, data: r.value });
        chunks++;
      }
    } else {
      result = await produced;
    }
    if (signal.aborted) throw signal.reason;
    write({ type: RelayFrameType.RESULT, result, metrics: metrics() });
  } catch (error) {
    const reason: unknown = signal.aborted ? signal.reason : error;
    if (reason instanceof ProtocolError) {
      write({ type: RelayFrameType.ERROR, code: reason.code, message: reason.message, data: reason.data, metrics: metrics() });
    } else {
      write({ type: RelayFrameType.ERROR, code: 500, message: reason instanceof Error ? reason.message : String(reason), data: undefined, metrics: metrics() });
    }
  }
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
