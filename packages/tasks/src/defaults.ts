/** Every default of this package, in one place (documented in docs/tasks.md). */
export const DEFAULTS = {
  prefix: 'asp:tasks:',
  maxAttempts: 3,
  resultTtlMs: 86_400_000,
  /** Lease on a claimed task; the worker renews it every third of this. */
  leaseMs: 10_000,
  concurrency: 8,
  /** Backoff between attempts (core's backoffDelay). */
  retry: { initialMs: 500, maxMs: 30_000, factor: 2, jitter: 0.5 },
  /** How often a worker moves due retries back onto the queue. */
  promoteEveryMs: 250,
  /** Progress events kept per task (older ones are trimmed). */
  maxEvents: 1000,
  /** How long submit waits for an unreachable broker before failing with 503. */
  offlineWaitMs: 1000,
  /** How long TaskClient reuses a capability's schema before reading it again. */
  capabilityCacheMs: 1000,
  /** Longest a Redis consumer blocks in one XREADGROUP. */
  blockMs: 1000,
} as const;
