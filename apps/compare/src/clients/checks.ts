import { ECHO_ARGS } from '../workload.js';

/** A cheap check that an echo came back (every variant pays the same one). */
export function checkEcho(value: unknown): void {
  if (typeof value !== 'object' || value === null || !('text' in value) || value.text !== ECHO_ARGS.text) {
    throw new Error(`echo answered ${JSON.stringify(value)}`);
  }
}

export function checkCount(what: string, got: number, expected: number): void {
  if (got !== expected) throw new Error(`${what}: ${got} chunks arrived, ${expected} were sent`);
}
