import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { compileSchema } from './schema.js';

async function failure(schema: Parameters<typeof compileSchema>[0], value: unknown): Promise<string> {
  const result = await compileSchema(schema).validate(value);
  if (result.ok) throw new Error(`${JSON.stringify(value)} was accepted`);
  return result.message;
}

const plan = {
  type: 'object',
  properties: {
    topic: { type: 'string', minLength: 2 },
    depth: { type: 'integer', minimum: 1, maximum: 5 },
    mode: { enum: ['fast', 'deep'] },
    tags: { type: 'array', items: { type: 'string' }, maxItems: 2 },
    at: { type: 'object', properties: { x: { const: 3 } }, required: ['x'], additionalProperties: false },
  },
  required: ['topic'],
  additionalProperties: false,
};

describe('tool input schemas', () => {
  it('validates JSON Schema and names the failing field', async () => {
    const s = compileSchema({
      type: 'object',
      properties: { topic: { type: 'string' }, depth: { type: 'integer', minimum: 1 } },
      required: ['topic'],
    });
    expect(await s.validate({ topic: 'x', depth: 2 })).toEqual({ ok: true, value: { topic: 'x', depth: 2 } });
    expect(await failure(s.jsonSchema, { depth: 0 })).toBe('missing required property "topic" at /; must be at least 1 (got 0) at /depth');
  });

  it('says each JSON Schema failure as a sentence with where it happened', async () => {
    expect(await failure(plan, { topic: 'ok', days: 3 })).toBe('unexpected property "days" at /');
    expect(await failure(plan, { topic: 5 })).toBe('expected a string but got a number at /topic');
    expect(await failure(plan, { topic: 'x' })).toBe('must be at least 2 characters long (got 1) at /topic');
    expect(await failure(plan, { topic: 'ok', depth: 1.5 })).toBe('expected an integer but got a number at /depth');
    expect(await failure(plan, { topic: 'ok', depth: 9 })).toBe('must be at most 5 (got 9) at /depth');
    expect(await failure(plan, { topic: 'ok', mode: 'slow' })).toBe('must be one of "fast", "deep" at /mode');
    expect(await failure(plan, { topic: 'ok', tags: [1, 'a', 'b'] })).toBe(
      'must have at most 2 items (got 3) at /tags; expected a string but got a number at /tags/0',
    );
    expect(await failure(plan, { topic: 'ok', at: { y: 1 } })).toBe('missing required property "x" at /at; unexpected property "y" at /at');
    expect(await failure(plan, { topic: 'ok', at: { x: 4 } })).toBe('must be 3 at /at/x');
    expect(await failure(plan, 'text')).toBe('expected an object but got a string at /');
  });

  it('never shows the validator jargon', async () => {
    const values = [{ topic: 'ok', days: 3 }, { topic: 5 }, {}, { topic: 'ok', at: { y: 1 } }, [], null];
    for (const value of values) {
      const message = await failure(plan, value);
      expect(message).not.toMatch(/#\/|False boolean|Instance|does not match schema/);
    }
  });

  it('accepts zod through Standard Schema, announcing its JSON Schema', async () => {
    const s = compileSchema(z.object({ topic: z.string(), n: z.number().default(3) }));
    expect(s.jsonSchema).toMatchObject({ type: 'object', properties: { topic: { type: 'string' } } });
    expect(await s.validate({ topic: 'a' })).toEqual({ ok: true, value: { topic: 'a', n: 3 } });
    expect(await failure(s.jsonSchema === undefined ? {} : z.object({ topic: z.string() }), { topic: 1 })).toMatch(/ at \/topic$/);
    expect(await failure(z.strictObject({ topic: z.string() }), { topic: 'a', days: 1 })).toMatch(/"days".* at \/$/);
  });
});
