/** What one run measures and for how long. */
export interface Settings {
  quick: boolean;
  /** Measured rounds per scenario; figures are medians over them. */
  rounds: number;
  /** Warm-up passes over every variant before round 1 (results thrown away). */
  warmups: number;
  /** Length of one round-trip round (1 and 32 in flight), ms. */
  roundMs: number;
  /** Length of one warm-up run, ms. */
  warmupMs: number;
  /** Before any scenario, each variant runs the whole workload for this long, ms, so the JIT has settled in both processes. */
  warmupPhaseMs: number;
  /** Length of one round of the streamed profile and of one full-duplex round, ms. */
  streamMs: number;
  duplexMs: number;
  /** Connections opened per round to time setup (stdio variants: one, as each spawns a process). */
  setupSamples: number;
  /** Idle connections held open to measure server memory (a variant may cap it, see Variant.maxMemoryConnections). */
  connections: number;
  /** Memory rounds (each on a fresh server process). */
  memoryRounds: number;
  /** Calls kept in flight for the throughput figure. */
  concurrency: number;
}

export const FULL: Settings = {
  quick: false,
  rounds: 7,
  warmups: 1,
  roundMs: 250,
  warmupMs: 150,
  warmupPhaseMs: 800,
  streamMs: 250,
  duplexMs: 200,
  setupSamples: 3,
  connections: 2000,
  memoryRounds: 5,
  concurrency: 32,
};

/** A smoke run: every variant and measurement once or twice, briefly. Its figures are not for quoting. */
export const QUICK: Settings = {
  quick: true,
  rounds: 1,
  warmups: 0,
  roundMs: 60,
  warmupMs: 40,
  warmupPhaseMs: 100,
  streamMs: 80,
  duplexMs: 60,
  setupSamples: 1,
  connections: 200,
  memoryRounds: 2,
  concurrency: 32,
};
