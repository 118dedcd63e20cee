import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { RedisConnection } from '@agentsocket/redis';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentRegistry } from '../src/index.js';
import { agentEvent, EventLog, eventually } from './env.js';

const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;
if (!hasRedisServer && process.env['CI'] === 'true') throw new Error('redis-server is missing and CI=true (.ci/run installs it)');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

/** A Redis of this test's own, without persistence: a restart comes back empty. */
async function redisServer(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('Ready to accept connections')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code})`)));
  });
  return child;
}

describe.runIf(hasRedisServer)('registry across a Redis restart', () => {
  const cleanup: Array<() => Promise<unknown> | unknown> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  it('a node writes its agents again when Redis comes back empty; subscribers get resync and read them again', async () => {
    const port = await freePort();
    let redis = await redisServer(port);
    cleanup.push(() => redis.kill('SIGKILL'));
    const url = `redis://127.0.0.1:${port}`;
    const nodeConn = new RedisConnection({ url });
    const watchConn = new RedisConnection({ url });
    await Promise.all([nodeConn.whenReady(10_000), watchConn.whenReady(10_000)]);
    cleanup.push(() => nodeConn.close(), () => watchConn.close());
    const node = new AgentRegistry({ connection: nodeConn, prefix: 'asp:', node: 'n1', heartbeatMs: 200, flushMs: 20 });
    const observer = new AgentRegistry({ connection: watchConn, prefix: 'asp:', heartbeatMs: 200 });
    cleanup.push(() => node.close(), () => observer.close());
    const log = new EventLog();
    await observer.subscribe(log.push);
    await node.register({ ns: '/team-alpha', agentId: 'survivor', tools: ['summarise'] });
    await node.update('/team-alpha', 'survivor', { load: 0.4 });
    await log.wait(agentEvent('status', 'survivor'));

    const killedAt = log.events.length;
    await new Promise<void>((resolve) => {
      redis.once('exit', () => resolve());
      redis.kill('SIGKILL');
    });
    // While Redis is away reads fail visibly (503), they do not answer empty.
    await expect(observer.find({ ns: '/team-alpha' })).rejects.toMatchObject({ reason: 'UNAVAILABLE', code: 503 });
    redis = await redisServer(port);

    await log.wait((e) => e.type === 'resync', 15_000, 'resync');
    // What was published while the subscriber was away is lost (the node may write its agent again
    // before the subscriber is back), so a subscriber reads again after `resync`, as this one does.
    const found = await eventually(
      () => observer.find({ ns: '/team-alpha', tool: 'summarise' }).catch(() => []),
      (agents) => agents.length === 1,
      15_000,
    );
    expect(found).toMatchObject([{ agentId: 'survivor', load: 0.4, reported: true, node: 'n1' }]);
    // The node published `joined` when it wrote the agent again; this subscriber saw it unless it came
    // while the subscription was down.
    const afterKill = log.events.slice(killedAt);
    if (afterKill.some((e) => e.type === 'joined')) expect(afterKill.findIndex((e) => e.type === 'resync')).toBeLessThan(afterKill.findIndex((e) => e.type === 'joined'));
  });
});
