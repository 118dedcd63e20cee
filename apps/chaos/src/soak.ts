import { parseArgs } from 'node:util';
import { runDrill } from './drill.js';
import { runSingleNode, type TransportName } from './single-node.js';

/**
 * The long variant, outside CI: `pnpm --filter @agentsocket/chaos soak -- --minutes 10`.
 * Runs the one-node proxy suite over ws and Socket.IO, then the cluster drill, each for the given
 * time (or `--calls`), prints every summary, and exits 1 if any run lost, duplicated or reordered.
 */
const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    minutes: { type: 'string' },
    calls: { type: 'string' },
    seed: { type: 'string', default: String(Date.now() % 1_000_000) },
    only: { type: 'string' },
    'hub-heartbeat-ms': { type: 'string' },
  },
  strict: true,
});
const minutes = values.minutes === undefined ? undefined : Number(values.minutes);
const calls = values.calls === undefined ? (minutes === undefined ? 2000 : Number.MAX_SAFE_INTEGER) : Number(values.calls);
const seed = Number(values.seed);
const parts = (values.only ?? 'ws,socketio,drill').split(',');
if ((minutes !== undefined && !(minutes > 0)) || !(calls > 0) || !Number.isInteger(seed)) {
  console.error('usage: soak [--minutes M | --calls N] [--seed S] [--only ws,socketio,drill] [--hub-heartbeat-ms MS]');
  process.exit(2);
}
const share = minutes === undefined ? undefined : (minutes * 60_000) / parts.length;
let failed = false;
for (const part of parts) {
  const until = share === undefined ? undefined : Date.now() + share;
  if (part === 'ws' || part === 'socketio') {
    const r = await runSingleNode({ transport: part as TransportName, calls, seed, out: process.stdout, ...(until === undefined ? {} : { until }) });
    const bad = r.tally.lost + r.tally.duplicated + r.tally.reordered + r.tally.mismatched;
    console.log(`verdict (${part}): ${bad === 0 ? 'PASS' : 'FAIL'}: 0 lost, 0 duplicated, 0 reordered required\n`);
    if (bad > 0) failed = true;
  } else if (part === 'drill') {
    const heartbeat = values['hub-heartbeat-ms'];
    const r = await runDrill({
      seed,
      out: process.stdout,
      durationMs: share ?? 30_000,
      ...(values.calls === undefined ? {} : { calls }),
      ...(heartbeat === undefined ? {} : { nodeArgs: ['--hub-heartbeat-ms', heartbeat] }),
    });
    const bad = r.tally.lost + r.tally.duplicated + r.tally.reordered + r.tally.mismatched;
    console.log(`verdict (drill): ${bad === 0 ? 'PASS' : 'FAIL'}: 0 lost, 0 duplicated, 0 reordered required\n`);
    if (bad > 0) failed = true;
  } else {
    console.error(`unknown part "${part}"`);
    process.exit(2);
  }
}
process.exit(failed ? 1 : 0);
