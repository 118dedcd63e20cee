import { describe, expect, it } from 'vitest';
import { runSingleNode } from '../src/single-node.js';

// CI-sized: 2,000 calls per transport, 32 in flight, every connection cut after 50–200 ms.
// The soak (`pnpm --filter @agentsocket/chaos soak -- --minutes 10`) runs the same for longer.
describe('chaos proxy in front of one node', { timeout: 120_000 }, () => {
  for (const transport of ['ws', 'socketio'] as const) {
    it(`${transport}: 2,000 calls through cut, stalled and duplicated connections: 0 lost, 0 duplicated, 0 reordered`, async () => {
      const r = await runSingleNode({ transport, calls: 2000, inFlight: 32, seed: 20_260_101, out: process.stdout });
      // The faults really happened, many times over.
      expect(r.proxy.cuts).toBeGreaterThan(20);
      expect(r.reconnects.reconnects).toBeGreaterThan(20);
      expect(r.proxy.stalls + r.proxy.duplicates).toBeGreaterThan(0);
      expect(r.tally.calls).toBe(2000);
      expect({
        lost: r.tally.lost,
        duplicated: r.tally.duplicated,
        reordered: r.tally.reordered,
        mismatched: r.tally.mismatched,
      }).toEqual({ lost: 0, duplicated: 0, reordered: 0, mismatched: 0 });
      // On one node nothing dies: every call completes, and an exactly-once handler runs once.
      expect(r.tally.failures).toEqual({});
      expect(r.tally.reruns['exactly-once']).toBe(0);
    });
  }
});
