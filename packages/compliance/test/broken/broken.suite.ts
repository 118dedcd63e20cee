// Run by ../broken.test.ts in a child vitest: the suite against each deliberately broken pipe.
import { runTransportCompliance } from '../../src/index.js';
import { type Flaw, pipeFixture } from './pipe.js';

const flaws = (process.env.COMPLIANCE_FLAWS ?? '').split(',').filter(Boolean) as Flaw[];
for (const flaw of flaws) runTransportCompliance(pipeFixture(flaw));
