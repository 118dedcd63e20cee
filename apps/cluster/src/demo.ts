import { startCluster } from './cluster.js';
import { nginxBinary } from './nginx.js';
import { pingRedis } from './redis-probe.js';
import { runScenario } from './scenario.js';

/** `pnpm demo:cluster`: 3 nodes + nginx + a team of agents on the local Redis; exits 1 if a check fails. */
const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const verbose = process.argv.includes('--verbose');

if (!nginxBinary()) {
  console.error('nginx is needed: apt-get install -y nginx (or brew install nginx), or set NGINX_BIN');
  process.exit(2);
}
if (!(await pingRedis(redisUrl))) {
  console.error(`no Redis at ${redisUrl}: start one (redis-server, or docker run -p 6379:6379 redis:7) or set REDIS_URL`);
  process.exit(2);
}

console.log(`starting 3 nodes on ${redisUrl} and nginx in front of them…`);
const cluster = await startCluster({
  redisUrl,
  log: (node, line) => {
    if (verbose) console.log(`    [${node}] ${line}`);
  },
});
const stop = () => void cluster.stop().finally(() => process.exit(130));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
const nodes = cluster.supervisor.nodes.map((n) => `${n.id} :${n.port} (pid ${n.pid})`).join(', ');
console.log(`nodes: ${nodes}\nnginx: ${cluster.nginx.url} (prefix ${cluster.prefix})`);

let failed = 0;
try {
  const checks = await runScenario(cluster);
  failed = checks.filter((c) => !c.ok).length;
  console.log(`\n${checks.length - failed} of ${checks.length} checks passed`);
} finally {
  await cluster.stop();
}
if (failed > 0) {
  console.error(`${failed} check(s) failed`);
  process.exit(1);
}
console.log('all checks passed');
