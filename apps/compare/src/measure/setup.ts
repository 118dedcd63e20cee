import { callProfile, describeError, type Live, median } from '@agentsocket/bench-kit';
import type { RunOutcome } from './live.js';

const SMALL_ECHO = callProfile('echo');

/** Opens `samples` new connections one after another; each is timed from connect to its first call (the small echo) answered. */
export async function setup(live: Live, samples: number): Promise<RunOutcome> {
  const times: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  for (let i = 0; i < samples; i++) {
    const started = performance.now();
    try {
      const session = await live.running.connect();
      try {
        await session.call(SMALL_ECHO);
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
