import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { nginxBinary } from '@agentsocket/cluster/lib';
import { runSwarm } from './swarm.js';

/**
 * `npm run demo:swarm`: the swarm demo (see README). Exits 0 when every check passed, 1 when one
 * failed, 2 when something it needs (nginx, redis-server) is missing.
 *   --tasks 10000 --workers 20 --concurrency 4 --lease-ms 2000 --kill-every-ms 4000 --seed 1
 */
const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    tasks: { type: 'string', default: '10000' },
    workers: { type: 'string', default: '20' },
    concurrency: { type: 'string', default: '4' },
    'lease-ms': { type: 'string', default: '2000' },
    'kill-every-ms': { type: 'string', default: '4000' },
    seed: { type: 'string', default: '1' },
  },
});

function positive(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) {
    console.error(`--${name} must be a positive integer, got "${raw}"`);
    process.exit(2);
  }
  return n;
}

if (!nginxBinary()) {
  console.error('The swarm demo runs three nodes behind nginx, and nginx is not installed.');
  console.error('Install it (Debian/Ubuntu: apt-get install -y nginx) or point NGINX_BIN at the binary, then run it again.');
  process.exit(2);
}
if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status !== 0) {
  console.error('The swarm demo starts its own redis-server (and restarts it once), and redis-server is not installed.');
  console.error('Install it (Debian/Ubuntu: apt-get install -y redis-server), then run it again.');
  process.exit(2);
}

const tasks = positive('tasks', values.tasks);
const workers = positive('workers', values.workers);
console.log(`swarm demo: ${tasks} tasks, ${workers} worker agents, 3 nodes behind nginx, seed ${values.seed}`);
const result = await runSwarm({
  tasks,
  workers,
  concurrency: positive('concurrency', values.concurrency),
  leaseMs: positive('lease-ms', values['lease-ms']),
  killWorkerEveryMs: positive('kill-every-ms', values['kill-every-ms']),
  seed: positive('seed', values.seed),
  out: process.stdout,
});
const seconds = (result.durationMs / 1000).toFixed(1);
console.log(result.ok ? `\nall checks passed in ${seconds} s` : `\nCHECKS FAILED (after ${seconds} s)`);
process.exit(result.ok ? 0 : 1);
