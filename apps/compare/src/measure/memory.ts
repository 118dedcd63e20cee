import { describeError, type MemorySample, type Running, type Session, type Variant } from '@agentsocket/bench-kit';
import type { RunOutcome } from './live.js';

/** Connections opened before the baseline, so one-time costs (code paths, pools) are not charged per connection. */
const WARM_CONNECTIONS = 20;
/** Handshakes in progress at once while opening connections. */
const OPENING_AT_ONCE = 16;

interface Probe {
  variant: Variant;
  /** Connections opened per batch. */
  batch: number;
  running: Running | undefined;
  measure: (() => Promise<MemorySample>) | undefined;
  open: Session[];
  baseline: MemorySample | undefined;
  failed: boolean;
}

export interface MemoryOptions {
  /** Idle connections each server holds at the end (a variant may cap it). */
  connections: number;
  /** The connections arrive in this many equal batches; each batch is one round. */
  rounds: number;
  /** Called after every measured batch (round ≥ 0), after the baseline (round -1), and on failure. */
  onResult(variant: Variant, round: number, outcome: RunOutcome): void;
}

/**
 * Idle memory per connection, each server on a fresh process of its own. Connections are
 * opened in `rounds` batches, one on every server at once per round; then each server
 * collects garbage and reports its memory. A round's figure is the growth since the baseline
 * divided by the connections opened since, so the last round is the whole run's average and
 * the median over rounds smooths the steps in which RSS grows.
 */
export async function idleMemory(variants: readonly Variant[], options: MemoryOptions): Promise<void> {
  const probes: Probe[] = variants.map((variant) => ({
    variant,
    batch: Math.max(1, Math.floor(Math.min(options.connections, variant.maxMemoryConnections ?? options.connections) / options.rounds)),
    running: undefined,
    measure: undefined,
    open: [],
    baseline: undefined,
    failed: false,
  }));
  const fail = (p: Probe, round: number, error: unknown) => {
    p.failed = true;
    options.onResult(p.variant, round, { values: {}, operations: 0, errors: 1, firstError: describeError(error) });
  };
  try {
    await Promise.all(
      probes.map(async (p) => {
        try {
          p.running = await p.variant.start();
          p.measure = p.running.memory;
          if (!p.measure) throw new Error(`${p.variant.id} has no server process to measure`);
          await openMany(p.running, WARM_CONNECTIONS, p.open);
        } catch (error) {
          fail(p, -1, error);
        }
      }),
    );
    for (const p of probes) {
      if (p.failed || !p.measure) continue;
      try {
        p.baseline = await p.measure();
        options.onResult(p.variant, -1, { values: {}, operations: WARM_CONNECTIONS, errors: 0, firstError: undefined });
      } catch (error) {
        fail(p, -1, error);
      }
    }
    for (let round = 0; round < options.rounds; round++) {
      const live = probes.filter((p) => !p.failed);
      // Opening is what takes time, and only memory is measured: every server gets its batch at once.
      const opened = await Promise.allSettled(live.map((p) => (p.running ? openMany(p.running, p.batch, p.open) : Promise.resolve())));
      for (const [i, p] of live.entries()) {
        const o = opened[i];
        if (o?.status === 'rejected') {
          fail(p, round, o.reason);
          continue;
        }
        if (!p.measure || !p.baseline) continue;
        try {
          const now = await p.measure();
          const since = p.batch * (round + 1);
          const values = { rss: (now.rss - p.baseline.rss) / since, heap: (now.heapUsed - p.baseline.heapUsed) / since };
          options.onResult(p.variant, round, { values, operations: p.batch, errors: 0, firstError: undefined });
        } catch (error) {
          fail(p, round, error);
        }
      }
    }
  } finally {
    await Promise.allSettled(probes.flatMap((p) => p.open.map((s) => s.close())));
    await Promise.allSettled(probes.map((p) => p.running?.stop()));
  }
}

async function openMany(running: Running, count: number, into: Session[]): Promise<void> {
  let started = 0;
  const worker = async () => {
    while (started < count) {
      started++;
      // One retry: on a machine this busy an HTTP session setup can fail once (the setup
      // scenario measures connecting; this phase measures connections held idle).
      into.push(await running.connect().catch(() => running.connect()));
    }
  };
  await Promise.all(Array.from({ length: Math.min(OPENING_AT_ONCE, count) }, worker));
}
