import { RedisConnection } from '@agentsocket/redis';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentRegistry, type PresenceEvent } from '../src/index.js';
import { connection, REDIS_URL, redisOrSkip, uniquePrefix } from './env.js';

const run = await redisOrSkip();

/** A node event whose `at` is a sequence number, so the test can tell when it was published. */
function nodeEvent(seq: number): string {
  return JSON.stringify({ type: 'node', at: seq, node: 'pub', stats: { calls: 0, errors: 0, p50Ms: 0, p99Ms: 0, windowMs: 0, agents: 0 } });
}

describe.runIf(run)('resync after the subscriber connection drops', () => {
  const cleanup: Array<() => Promise<unknown> | unknown> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  it('comes before every event published after the drop, while events are published without a pause', async () => {
    const prefix = uniquePrefix();
    const conn = await connection();
    const subscriber = new RedisConnection({ url: REDIS_URL });
    await subscriber.whenReady(10_000);
    const subscriberId = Number(await subscriber.client.client('ID'));
    const observer = new AgentRegistry({ connection: conn, subscriber, prefix, heartbeatMs: 60_000 });
    cleanup.push(() => conn.close(), () => subscriber.close(), () => observer.close());
    const events: PresenceEvent[] = [];
    await observer.subscribe((e) => events.push(e));

    const channel = `${prefix}reg:ev`;
    let seq = 0;
    let killedAt = Number.POSITIVE_INFINITY;
    let publishing = true;
    const publisher = (async () => {
      // Batches without a pause, so some event lands in the same read as the subscription's reply.
      while (publishing) {
        const batch = conn.client.pipeline();
        for (let i = 0; i < 20; i++) batch.publish(channel, nodeEvent(++seq));
        await batch.exec();
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(events.some((e) => e.type === 'node')).toBe(true);
    // Every event published from here on can only arrive over the new subscription.
    killedAt = seq;
    await conn.client.client('KILL', 'ID', String(subscriberId));
    const until = Date.now() + 10_000;
    while (Date.now() < until && !events.some((e) => e.type === 'node' && e.at > killedAt + 20)) await new Promise((resolve) => setTimeout(resolve, 20));
    publishing = false;
    await publisher;

    const resync = events.findIndex((e) => e.type === 'resync');
    expect(resync).toBeGreaterThan(0);
    const early = events.slice(0, resync).filter((e) => e.type === 'node' && e.at > killedAt);
    expect(early).toEqual([]);
    expect(events.slice(resync).some((e) => e.type === 'node' && e.at > killedAt)).toBe(true);
  });
});
