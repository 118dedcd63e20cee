/** Every default of this package, in one place (docs/registry.md, "Defaults"). */
export const DEFAULTS = {
  /** Keys and channels start with this (the cluster's prefix); the registry's own sit under `reg:`. */
  prefix: 'asp:',
  /** How often a registry refreshes its node's heartbeat and sweeps dead nodes. */
  heartbeatMs: 1000,
  /** A node whose heartbeat is older than this many beats is dead: its agents are `failed`. */
  missedBeats: 3,
  /** Status changes of local agents are written (and published) at most this often per agent. */
  flushMs: 100,
  /** Members of one dead node removed per sweep (the rest in the following sweeps). */
  reapBatch: 1000,
  /** Most agents a query returns. */
  maxLimit: 10_000,
} as const;
