import { closedLoop, type Live, median } from '@agentsocket/bench-kit';
import type { RunOutcome } from './live.js';

/** Calls the ask tool one at a time; the figure is the median round trip of the server's question to the client. */
export async function duplex(live: Live, durationMs: number): Promise<RunOutcome> {
  const ask = live.session.ask;
  if (!ask) throw new Error(`${live.variant.id} cannot ask`);
  const asks: number[] = [];
  const r = await closedLoop(
    async () => {
      asks.push(await ask());
    },
    { concurrency: 1, durationMs, recordLatency: false },
  );
  return { values: { ask: median(asks) }, operations: r.calls, errors: r.errors, firstError: r.firstError };
}
