import { rabbitOrSkip, rabbitVhostUrl, redisOrSkip } from './env.js';
import { rabbitFixture } from './fixture.js';
import { queueSuite } from './queue-suite.js';
import { rabbitRestartSuite, restartSuite } from './restart.js';
import { workerKillSuite } from './worker-kill.js';

// Task state lives on Redis for every backend; RabbitMQ carries the queue.
if ((await rabbitOrSkip()) && (await redisOrSkip())) {
  const fixture = rabbitFixture(rabbitVhostUrl());
  queueSuite(fixture);
  workerKillSuite(fixture);
  restartSuite(fixture);
  // Last: it restarts the broker under everything else in this file.
  rabbitRestartSuite(fixture);
}
