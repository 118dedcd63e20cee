import { execFileSync } from 'node:child_process';
import { nginxBinary } from '@agentsocket/cluster/lib';
import { describe, expect, it } from 'vitest';
import { runDrill } from '../src/drill.js';

/** The drill needs nginx and redis-server. CI (CI=true) must run it; elsewhere it skips, loudly. */
function missing(): string[] {
  const gone: string[] = [];
  if (!nginxBinary()) gone.push('nginx (apt-get install -y nginx)');
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
  } catch {
    gone.push('redis-server (apt-get install -y redis-server)');
  }
  return gone;
}
const absent = missing();
const skip = absent.length > 0 && process.env['CI'] !== 'true';
if (skip) console.warn(`\n!!! SKIPPING the cluster drill: missing ${absent.join(', ')}. CI runs it. !!!\n`);

// CI-sized: 30 s of faults. The soak runs it longer: pnpm --filter @agentsocket/chaos soak -- --minutes 10 --only drill
describe.skipIf(skip)('cluster drill: nodes SIGKILLed every 3 s, Redis restarted once, 64 exactly-once calls in flight (and 16 others) through nginx', { timeout: 180_000 }, () => {
  it('loses nothing and duplicates nothing; prints the counts and the recovery figures', async () => {
    const r = await runDrill({ seed: 20_260_102, durationMs: 30_000, killEveryMs: 3000, inFlight: 64, othersInFlight: 16, out: process.stdout });
    // The faults really happened.
    expect(r.kills).toBeGreaterThanOrEqual(3);
    expect(r.redisRestarts).toBe(1);
    expect(r.reconnects.reconnects).toBeGreaterThan(0);
    expect(r.tally.calls).toBeGreaterThan(1000);
    expect({
      lost: r.tally.lost,
      duplicated: r.tally.duplicated,
      reordered: r.tally.reordered,
      mismatched: r.tally.mismatched,
    }).toEqual({ lost: 0, duplicated: 0, reordered: 0, mismatched: 0 });
  });
});
