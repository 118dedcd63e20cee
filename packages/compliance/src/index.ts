import { describe } from 'vitest';
import type { TransportFixture } from './fixture.js';
import { handshakeTests } from './handshake.js';
import { invokeTests } from './invoke.js';
import { lifecycleTests } from './lifecycle.js';
import { limitTests } from './limits.js';
import { reliabilityTests } from './reliability.js';
import { teamTests } from './teams.js';
import { transportLimitTests } from './transport-limits.js';
import { transportRuleTests } from './transport-rules.js';

export { DEFAULT_TEST_MAX_BUFFERED_BYTES, type ServerHandle, type TransportFixture, type TransportLimits } from './fixture.js';
export { complianceAgent, newProbe, type Probe } from './agent.js';
export { RawPeer } from './raw.js';
export { gate, holdable, until } from './util.js';

/**
 * Registers the transport compliance suite for `fixture` with vitest. Call it at the top level
 * of a test file: `runTransportCompliance(wsFixture)`.
 */
export function runTransportCompliance(fixture: TransportFixture): void {
  describe(`transport compliance: ${fixture.name}`, () => {
    // The eight Transport rules first, on raw transports: a broken rule fails here, by name.
    transportRuleTests(fixture);
    transportLimitTests(fixture);
    handshakeTests(fixture);
    invokeTests(fixture);
    reliabilityTests(fixture);
    limitTests(fixture);
    lifecycleTests(fixture);
    teamTests(fixture);
  });
}
