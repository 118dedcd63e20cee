import { connect } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rabbitOrSkip, rabbitVhostUrl, redisOrSkip } from './env.js';
import { rabbitFixture } from './fixture.js';
import { queueSuite } from './queue-suite.js';
import { rabbitRestartSuite, restartSuite } from './restart.js';
import { workerKillSuite } from './worker-kill.js';

// Task state lives on Redis for every backend; RabbitMQ carries the queue.
if ((await rabbitOrSkip()) && (await redisOrSkip())) {
  const url = rabbitVhostUrl();
  const fixture = rabbitFixture(url);
  // A connection to the shared broker held across the whole file: if anything here stopped that
  // broker, other runs on the machine would have seen their RabbitMQ tests fail meanwhile.
  let watch: Awaited<ReturnType<typeof connect>> | undefined;
  let closed: unknown;
  beforeAll(async () => {
    watch = await connect(url);
    watch.on('error', () => {});
    watch.on('close', (error: unknown) => {
      closed = error ?? 'closed';
    });
  });
  afterAll(async () => {
    await watch?.close().catch(() => {});
  });
  queueSuite(fixture);
  workerKillSuite(fixture);
  restartSuite(fixture);
  // On a RabbitMQ node of its own, so the shared broker's other users never see it stop.
  rabbitRestartSuite(rabbitFixture);
  describe('RabbitMQ: the shared broker', () => {
    it('stayed up through every test of this file (the restart test stops only its own node)', async () => {
      expect(closed).toBeUndefined();
      const ch = await watch?.createChannel();
      expect(ch).toBeDefined();
      await ch?.close();
    });
  });
}
