import { redisOrSkip } from './env.js';
import { redisFixture } from './fixture.js';
import { queueSuite } from './queue-suite.js';
import { restartSuite } from './restart.js';
import { workerKillSuite } from './worker-kill.js';

if (await redisOrSkip()) {
  queueSuite(redisFixture);
  workerKillSuite(redisFixture);
  restartSuite(redisFixture);
}
