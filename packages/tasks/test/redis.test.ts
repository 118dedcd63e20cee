import { redisOrSkip } from './env.js';
import { redisFixture } from './fixture.js';
import { queueSuite } from './queue-suite.js';

if (await redisOrSkip()) queueSuite(redisFixture);
