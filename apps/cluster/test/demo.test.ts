import { describe, expect, it } from 'vitest';
import { startCluster } from '../src/cluster.js';
import { runScenario } from '../src/scenario.js';
import { REDIS_URL, cleanup, clusterSkip } from './fixture.js';

const skip = await clusterSkip();

describe.skipIf(skip)('pnpm demo:cluster', { timeout: 120_000 }, () => {
  const t = cleanup();

  it('passes every check it prints', async () => {
    const cluster = t.cluster(await startCluster({ redisUrl: REDIS_URL }));
    const out: string[] = [];
    const checks = await runScenario(cluster, { out: { write: (s) => out.push(s) } });
    expect(checks.filter((c) => !c.ok), out.join('')).toEqual([]);
    expect(checks.length).toBe(9);
  });
});
