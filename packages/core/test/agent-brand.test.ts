import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Agent, defineAgent, isAgent } from '../src/index.js';

describe('Agent brand', () => {
  it('is recognised across two copies of the package (npx, global installs)', () => {
    // Two imports of the same file under different URLs are two module instances, as two installed copies are.
    const file = fileURLToPath(new URL('../src/agent.ts', import.meta.url));
    const script = `
      const a = await import('file://${file}?copy=1');
      const b = await import('file://${file}?copy=2');
      const agent = a.defineAgent({ name: 'x' });
      console.log(JSON.stringify([a.Agent === b.Agent, agent instanceof b.Agent, b.isAgent(agent), ({ name: 'x' }) instanceof b.Agent]));`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('..', import.meta.url)) });
    expect(JSON.parse(out.toString())).toEqual([false, true, true, false]);
  });

  it('is false for look-alikes and true for agents of this copy', () => {
    expect(isAgent(defineAgent({ name: 'y' }))).toBe(true);
    expect(defineAgent({ name: 'y' }) instanceof Agent).toBe(true);
    expect(isAgent({ name: 'y', tools: [] })).toBe(false);
    expect(isAgent(null)).toBe(false);
    expect({ name: 'y' } instanceof Agent).toBe(false);
  });
});
