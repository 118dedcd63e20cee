import { describe, expect, it } from 'vitest';
import { createResearchAgent } from '../src/agent.js';
import { drive } from '../src/drive.js';
import { transports } from '../src/transports.js';

describe('the demo over every transport it offers', () => {
  for (const [name, serve] of Object.entries(transports)) {
    it(`passes every check over ${name}`, async () => {
      const served = await serve(createResearchAgent({ tokenDelayMs: 0 }));
      const out: string[] = [];
      try {
        const checks = await drive({ connect: served.connect, out: { write: (s) => out.push(s) } });
        expect(checks.filter((c) => !c.ok), out.join('')).toEqual([]);
        expect(checks.length).toBeGreaterThanOrEqual(8);
      } finally {
        await served.close();
      }
    });
  }
});
