import { median } from '@agentsocket/bench/lib';
import { describeError, type Live, type RunOutcome } from './live.js';

/** Opens `samples` new connections one after another; each is timed from connect to its first echo answered. */
export async function setup(live: Live, samples: number): Promise<RunOutcome> {
  const times: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  for (let i = 0; i < samples; i++) {
    const started = performance.now();
    try {
      const session = await live.running.connect();
      try {
        await session.echo();
        times.push(performance.now() - started);
      } finally {
        await session.close();
      }
    } catch (error) {
      errors++;
      firstError ??= describeError(error);
    }
  }
  return { values: { setup: median(times) }, operations: times.length, errors, firstError };
}
