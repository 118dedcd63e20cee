import type { RunningRedis, Supervisor } from '@agentsocket/cluster/lib';
import type { Rng } from './rng.js';

export interface FaultClockOptions {
  supervisor: Supervisor;
  redis: RunningRedis;
  rng: Rng;
  /** When the faults begin and end (ms since the epoch). */
  began: number;
  end: number;
  /** A fault this often. */
  everyMs: number;
  /** The first tick at or after this time restarts Redis instead of killing a node. */
  redisAt: number;
  out?: { write(s: string): unknown } | undefined;
}

export interface FaultRecord {
  kills: number;
  /** Ticks with fewer than two nodes up and not starting, so no kill. */
  skipped: number;
  redisRestarts: number;
  /** From the Redis SIGKILL to its answering again (empty if there was none). */
  redisWindow: { from: number; to: number };
  /** From each kill to the node's ready line after its restart, ms. */
  downMs: number[];
}

/**
 * A fault every `everyMs` on a fixed clock: SIGKILL a node and start it again on its port in the
 * background, or (once) SIGKILL Redis and start it again. A node still starting is not killed
 * again, and the last node up never is: that tick is skipped. Resolves when the faults are over
 * and every killed node is back.
 */
export async function runFaultClock(options: FaultClockOptions): Promise<FaultRecord> {
  const { supervisor, redis, rng, began, end, everyMs, redisAt, out } = options;
  const record: FaultRecord = { kills: 0, skipped: 0, redisRestarts: 0, redisWindow: { from: Number.POSITIVE_INFINITY, to: Number.NEGATIVE_INFINITY }, downMs: [] };
  const restarts = new Map<string, Promise<void>>();
  const at = () => `${((Date.now() - began) / 1000).toFixed(1)} s`;
  const restart = (id: string, killedAt: number) => {
    const p: Promise<void> = (async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          await supervisor.restart(id);
          record.downMs.push(Date.now() - killedAt);
          return;
        } catch (error) {
          out?.write(`  ${at()}: ${id} failed to start (${error instanceof Error ? error.message.split('\n')[0] : String(error)})\n`);
          if (attempt === 3) throw error;
        }
      }
    })().finally(() => restarts.delete(id));
    restarts.set(id, p);
  };
  for (let next = began + everyMs; next < end; next += everyMs) {
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - Date.now())));
    if (record.redisRestarts === 0 && Date.now() >= redisAt) {
      await Promise.all(restarts.values()); // a node starting while Redis is away would give up on it
      out?.write(`  ${at()}: Redis SIGKILL and restart\n`);
      record.redisWindow.from = Date.now();
      await redis.stop('SIGKILL');
      await redis.start();
      record.redisWindow.to = Date.now();
      record.redisRestarts++;
      continue;
    }
    const up = supervisor.nodes.filter((n) => n.running && !restarts.has(n.id));
    if (up.length < 2) {
      record.skipped++;
      continue;
    }
    const victim = rng.pick(up).id;
    out?.write(`  ${at()}: SIGKILL ${victim}\n`);
    const killedAt = Date.now();
    await supervisor.kill(victim, 'SIGKILL');
    record.kills++;
    restart(victim, killedAt);
  }
  await Promise.all(restarts.values());
  return record;
}
