import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Call, type HubMember } from '@agentsocket/core';
import { interleave, latencySummary, loadAverage, machineInfo, median, renderTable, writeJsonReport } from '@agentsocket/bench-kit';
import { RedisConnection, RedisHub } from '@agentsocket/redis';
import { AgentRegistry, RegistryHub } from '../src/index.js';

/**
 * The registry benchmark: a program, not a test. Prints a table and writes JSON to reports/.
 * Rounds are interleaved; figures are medians over rounds, each round's figure a p50.
 *  1. `find` (capability filter, least loaded first) against a bare HVALS of the same hash, same client.
 *  2. attach + detach of a member through a RegistryHub against the bare RedisHub it wraps.
 *   pnpm --filter @agentsocket/registry bench [--rounds 5] [--samples 100] [--sizes 100,1000,10000]
 */
const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    rounds: { type: 'string', default: '5' },
    samples: { type: 'string', default: '100' },
    sizes: { type: 'string', default: '100,1000,10000' },
    'redis-url': { type: 'string', default: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379' },
  },
});
const url = values['redis-url'];
const rounds = Math.max(1, Number(values.rounds));
const samples = Math.max(10, Number(values.samples));
const sizes = values.sizes.split(',').map(Number);
const prefix = () => `bench:reg:${randomBytes(5).toString('hex')}:`;

async function dropPrefix(conn: RedisConnection, p: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await conn.client.scan(cursor, 'MATCH', `${p}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await conn.client.del(...keys);
  } while (cursor !== '0');
}

async function p50Of(n: number, op: () => Promise<unknown>): Promise<number> {
  const lat: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await op();
    lat.push(performance.now() - t);
  }
  return latencySummary(lat).p50;
}

const conn = new RedisConnection({ url });
await conn.whenReady(10_000);
const rows: string[][] = [];
const report: Record<string, unknown> = { machine: machineInfo(), loadBefore: loadAverage(), rounds, samples };

// 1. Queries.
for (const size of sizes) {
  const p = prefix();
  const registry = new AgentRegistry({ connection: conn, prefix: p, node: 'bench-node', heartbeatMs: 1000 });
  for (let i = 0; i < size; i += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, size - i) }, (_, j) =>
        registry.register({ ns: '/team-bench', agentId: `a${i + j}`, tools: (i + j) % 2 === 0 ? ['summarise', 'translate'] : ['translate'] }),
      ),
    );
  }
  const key = `${p}reg:a:/team-bench`;
  const results = await interleave(
    [
      { name: 'find', run: () => p50Of(samples, () => registry.find({ ns: '/team-bench', tool: 'summarise', limit: 10 })) },
      { name: 'hvals', run: () => p50Of(samples, () => conn.client.hvals(key)) },
    ],
    { rounds },
  );
  const find = results.get('find') ?? [];
  const bare = results.get('hvals') ?? [];
  const ratios = find.map((f, i) => f / (bare[i] ?? Number.NaN));
  rows.push([`find, ${size} agents in the namespace`, `${median(find).toFixed(3)} ms`, `${median(bare).toFixed(3)} ms (HVALS)`, `${median(ratios).toFixed(2)}×`]);
  report[`find-${size}`] = { find, hvals: bare, ratios };
  await registry.close({ abrupt: true });
  await dropPrefix(conn, p);
}

// 2. Attach + detach through the hub.
function member(ns: string, agentId: string): HubMember {
  return {
    sessionId: agentId,
    ns,
    agentId,
    principal: { id: 'bench' },
    deliver: () => {},
    invoke: (tool) => new Call(tool, '', 'at-least-once'),
  };
}
const pBare = prefix();
const pReg = prefix();
const bareHub = new RedisHub({ connection: conn, prefix: pBare, nodeId: 'bare' });
const innerHub = new RedisHub({ connection: conn, prefix: pReg, nodeId: 'wrapped' });
const registry = new AgentRegistry({ connection: conn, prefix: pReg, node: innerHub.instance });
const wrapped = new RegistryHub({ hub: innerHub, registry });
await Promise.all([bareHub.ready(10_000), innerHub.ready(10_000)]);
let n = 0;
const cycle = (hub: RedisHub | RegistryHub) => async () => {
  const m = member('/team-bench', `m${n++}`);
  await hub.attach(m);
  await hub.detach(m);
};
const attach = await interleave(
  [
    { name: 'registry', run: () => p50Of(samples, cycle(wrapped)) },
    { name: 'bare', run: () => p50Of(samples, cycle(bareHub)) },
  ],
  { rounds },
);
const reg = attach.get('registry') ?? [];
const bare = attach.get('bare') ?? [];
const ratios = reg.map((r, i) => r / (bare[i] ?? Number.NaN));
rows.push(['attach + detach of one agent', `${median(reg).toFixed(3)} ms (RegistryHub)`, `${median(bare).toFixed(3)} ms (RedisHub)`, `${median(ratios).toFixed(2)}×`]);
report['attach'] = { registry: reg, bare, ratios };
await wrapped.close();
await bareHub.close();
await dropPrefix(conn, pBare);
await dropPrefix(conn, pReg);
await conn.close();

report['loadAfter'] = loadAverage();
console.log(renderTable([{ header: 'operation' }, { header: 'registry p50' }, { header: 'reference p50' }, { header: 'ratio (median of rounds)' }], rows));
console.log(`load average before ${JSON.stringify(report['loadBefore'])}, after ${JSON.stringify(report['loadAfter'])}`);
const path = writeJsonReport(fileURLToPath(new URL('../../../reports', import.meta.url)), 'registry-bench', report);
console.log(`wrote ${path}`);
