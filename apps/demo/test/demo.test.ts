import { describe, expect, it } from 'vitest';
import { createResearchAgent } from '../src/agent.js';
import { transports } from '../src/transports.js';

describe('the demo over every transport it offers', () => {
  for (const [name, serve] of Object.entries(transports)) {
    it(`passes every check over ${name}`, async () => {
      const served = await serve(createResearchAgent({ tokenDelayMs: 1 }), { tokenDelayMs: 1 });
      const out: string[] = [];
      try {
        const checks = await served.run({ write: (s) => out.push(s) });
        expect(checks.filter((c) => !c.ok), out.join('')).toEqual([]);
        expect(checks.length).toBeGreaterThanOrEqual(7);
      } finally {
        await served.close();
      }
    });
  }
});
