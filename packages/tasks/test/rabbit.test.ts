import { rabbitOrSkip, rabbitVhostUrl, redisOrSkip } from './env.js';
import { rabbitFixture } from './fixture.js';
import { queueSuite } from './queue-suite.js';

// Task state lives on Redis for every backend; RabbitMQ carries the queue.
if ((await rabbitOrSkip()) && (await redisOrSkip())) queueSuite(rabbitFixture(rabbitVhostUrl()));
