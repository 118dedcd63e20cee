import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { type BroadcastResult, broadcastBench } from './broadcast.js';
import { renderTable, verdictColumns, verdictRows } from '@agentsocket/bench-kit';
import { type InvokeResult, invokeBench } from './invoke.js';
import { MEMORY_VARIANTS, type MemoryResult, memoryBench } from './memory.js';

/**
 * The Socket.IO and teams benchmark (issue 3 §4): a program, not a test. Prints a table and
 * writes JSON to reports/. Comparisons are ratios measured in this run, rounds interleaved.
 *   pnpm --filter @agentsocket/socketio bench [--rounds 5] [--only invoke,broadcast,memory] [--quick]
 */

const { values } = parseArgs({
  // `pnpm bench -- --only invoke` passes the `--` through.
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    rounds: { type: 'string', default: '5' },
    only: { type: 'string', default: 'invoke,broadcast,memory' },
    quick: { type: 'boolean', default: false },
    'redis-url': { type: 'string', default: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379' },
  },
});
const rounds = Math.max(1, Number(values.rounds));
const only = new Set(values.only.split(','));
const quick = values.quick;
const redisUrl = values['redis-url'];

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

async function redisUp(): Promise<boolean> {
  const probe = new Redis(redisUrl, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

const report: { startedAt: string; node: string; rounds: number; invoke?: InvokeResult; broadcast?: BroadcastResult; memory?: MemoryResult; notes: string[] } = {
  startedAt: new Date().toISOString(),
  node: process.version,
  rounds,
  notes: [],
};

if (only.has('invoke')) {
  const r = await invokeBench({ rounds: quick ? 1 : Math.max(rounds, 7), roundMs: quick ? 150 : 1000, profiles: ['echo', 'tool-call', 'args-1k', 'args-16k'] });
  report.invoke = r;
  console.log(`\n(a) invoke vs plain Socket.IO emitWithAck with the same object, per payload profile (the bench kit's profiles), interleaved rounds`);
  console.log(renderTable(verdictColumns(), verdictRows(r.goals)));
}

if (only.has('broadcast')) {
  if (await redisUp()) {
    const r = await broadcastBench({ rounds, agents: quick ? 200 : 1000, nodes: 3, perRound: quick ? 3 : 10, redisUrl });
    report.broadcast = r;
    console.log(`\n(b) one agent broadcasts to ${r.agents} agents over ${r.nodes} nodes (sharded Redis adapter), median of ${rounds} rounds`);
    console.table(
      Object.fromEntries(
        Object.entries(r.modes).map(([mode, m]) => [mode, { 'p50 ms': m.p50Median.toFixed(1), 'p99 ms': m.p99Median.toFixed(1) }]),
      ),
    );
  } else {
    report.notes.push(`broadcast skipped: Redis at ${redisUrl} unreachable`);
    console.warn(`\n(b) SKIPPED: Redis at ${redisUrl} is unreachable`);
  }
}

if (only.has('memory')) {
  const r = await memoryBench({ rounds, connections: quick ? 500 : 2000 });
  report.memory = r;
  const plain = r.medians['plain-sio'];
  const raw = r.medians['raw-ws'];
  console.log(`\n(c) idle memory per connection on the server (${r.connections} connections, median of ${rounds})`);
  console.table(
    Object.fromEntries(
      MEMORY_VARIANTS.map((v) => {
        const m = r.medians[v];
        return [v, { RSS: kb(m.rss), heap: kb(m.heap), 'RSS / plain sio': (m.rss / plain.rss).toFixed(2), 'RSS / raw ws': (m.rss / raw.rss).toFixed(2) }];
      }),
    ),
  );
}

const dir = fileURLToPath(new URL('../../../reports/', import.meta.url));
mkdirSync(dir, { recursive: true });
const file = `${dir}socketio-bench-${report.startedAt.replace(/[:.]/g, '-')}.json`;
writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
console.log(`\nwrote ${file}`);
process.exit(0);
