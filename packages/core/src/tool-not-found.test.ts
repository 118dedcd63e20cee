import { describe, expect, it } from 'vitest';
import { closestNames, editDistance, toolNotFoundMessage } from './tool-not-found.js';

describe('unknown tool messages', () => {
  it('names the closest tool and lists the others', () => {
    expect(toolNotFoundMessage('plna', ['research', 'plan'])).toBe('no tool named "plna"; did you mean "plan"? tools: plan, research');
  });

  it('lists the tools when none is close', () => {
    expect(toolNotFoundMessage('zzz', ['research', 'plan'])).toBe('no tool named "zzz"; tools: plan, research');
  });

  it('says so when nothing is served', () => {
    expect(toolNotFoundMessage('x', [])).toBe('no tool named "x"; this peer serves no tools');
  });

  it('caps the list', () => {
    const many = Array.from({ length: 25 }, (_, i) => `t${String(i).padStart(2, '0')}`);
    expect(toolNotFoundMessage('nope', many)).toMatch(/t19 and 5 more$/);
  });

  it('ranks by edit distance, counting swaps as one edit, and matches substrings', () => {
    expect(editDistance('plna', 'plan')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(closestNames('serch', ['search', 'research', 'fetch'])).toEqual(['search']);
    expect(closestNames('weather', ['get_weather', 'news'])).toEqual(['get_weather']);
    expect(closestNames('Plan', ['plan'])).toEqual(['plan']);
  });
});
