import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { compileSchema } from './schema.js';

describe('tool input schemas', () => {
  it('validates JSON Schema and names the failing field', async () => {
    const s = compileSchema({
      type: 'object',
      properties: { topic: { type: 'string' }, depth: { type: 'integer', minimum: 1 } },
      required: ['topic'],
    });
    expect(await s.validate({ topic: 'x', depth: 2 })).toEqual({ ok: true, value: { topic: 'x', depth: 2 } });
    const bad = await s.validate({ depth: 0 });
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.message).toMatch(/topic/);
      expect(bad.message).toMatch(/depth/);
    }
  });

  it('accepts zod through Standard Schema, announcing its JSON Schema', async () => {
    const s = compileSchema(z.object({ topic: z.string(), n: z.number().default(3) }));
    expect(s.jsonSchema).toMatchObject({ type: 'object', properties: { topic: { type: 'string' } } });
    expect(await s.validate({ topic: 'a' })).toEqual({ ok: true, value: { topic: 'a', n: 3 } });
    const bad = await s.validate({ topic: 1 });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.message).toMatch(/^topic: /);
  });
});
