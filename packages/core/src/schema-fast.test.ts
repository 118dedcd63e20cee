import { Validator } from '@cfworker/json-schema';
import { describe, expect, it } from 'vitest';
import { compileFastCheck } from './schema-fast.js';

/** A small deterministic PRNG, so a failure names a seed that reproduces it. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;

const TYPES = ['string', 'number', 'integer', 'boolean', 'object', 'array', 'null'] as const;
const NAMES = ['a', 'b', 'text', 'n', 'toString', '__proto__', 'constructor'];

function randomSchema(r: () => number, depth: number): unknown {
  if (r() < 0.05) return true;
  const s: Record<string, unknown> = {};
  if (r() < 0.8) s['type'] = r() < 0.15 ? [pick(r, TYPES), pick(r, TYPES)] : pick(r, TYPES);
  if (depth < 3 && r() < 0.5) {
    const props: Record<string, unknown> = {};
    for (let i = Math.floor(r() * 4); i > 0; i--) props[pick(r, NAMES)] = randomSchema(r, depth + 1);
    s['properties'] = props;
  }
  if (r() < 0.4) s['required'] = [pick(r, NAMES), ...(r() < 0.5 ? [pick(r, NAMES)] : [])];
  if (depth < 3 && r() < 0.2) s['additionalProperties'] = r() < 0.5 ? false : randomSchema(r, depth + 1);
  if (depth < 3 && r() < 0.25) s['items'] = randomSchema(r, depth + 1);
  if (r() < 0.1) s['enum'] = [pick(r, ['x', 'y']), pick(r, [1, 2, 0]), null, true];
  if (r() < 0.05) s['const'] = pick(r, ['x', 3, false, null]);
  if (r() < 0.15) s[pick(r, ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'])] = pick(r, [0, 1, 2.5, -3]);
  if (r() < 0.1) s[pick(r, ['minItems', 'maxItems'])] = pick(r, [0, 1, 2]);
  if (r() < 0.1) s['description'] = 'annotated';
  return s;
}

function randomValue(r: () => number, depth: number): unknown {
  const k = r();
  if (k < 0.12) return pick(r, ['x', 'y', '', 'hello']);
  if (k < 0.3) return pick(r, [0, 1, 2, -3, 2.5, 1e21, -0, Number.NaN, Number.POSITIVE_INFINITY]);
  if (k < 0.36) return pick(r, [true, false]);
  if (k < 0.42) return null;
  if (k < 0.47) return new Uint8Array([1, 2]);
  if (k < 0.72 && depth < 4) {
    const o: Record<string, unknown> = {};
    for (let i = Math.floor(r() * 4); i > 0; i--) {
      const name = pick(r, NAMES);
      if (name === '__proto__') Object.defineProperty(o, name, { value: randomValue(r, depth + 1), enumerable: true, configurable: true, writable: true });
      else o[name] = randomValue(r, depth + 1);
    }
    return o;
  }
  if (depth < 4) return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
  return 'leaf';
}

describe('compileFastCheck', () => {
  it('never says valid where @cfworker/json-schema says invalid (50,000 random schema/value pairs)', () => {
    let compiled = 0;
    let saidValid = 0;
    for (let seed = 1; seed <= 2000; seed++) {
      const r = rng(seed);
      const schema = randomSchema(r, 0);
      const fast = compileFastCheck(schema);
      if (!fast) continue;
      compiled++;
      const full = new Validator(schema as Record<string, unknown>, '2020-12', false);
      for (let i = 0; i < 25; i++) {
        const value = randomValue(r, 0);
        if (!fast(value)) continue;
        saidValid++;
        const verdict = full.validate(value).valid;
        if (!verdict) expect.fail(`seed ${seed}: fast check accepted ${JSON.stringify(value)} for ${JSON.stringify(schema)}`);
      }
    }
    // The corpus must exercise the fast path, not just fall back.
    expect(compiled).toBeGreaterThan(1500);
    expect(saidValid).toBeGreaterThan(5000);
  });

  it('accepts the valid values of typical tool schemas', () => {
    const check = compileFastCheck({
      type: 'object',
      properties: {
        text: { type: 'string', description: 'what to say' },
        n: { type: 'integer', minimum: 0 },
        tags: { type: 'array', items: { type: 'string' }, maxItems: 3 },
        mode: { enum: ['fast', 'slow'] },
        opts: { type: 'object', properties: { deep: { type: 'boolean' } }, additionalProperties: false },
      },
      required: ['text'],
    });
    expect(check).toBeDefined();
    expect(check?.({ text: 'hi' })).toBe(true);
    expect(check?.({ text: 'hi', n: 3, tags: ['a'], mode: 'fast', opts: { deep: true }, other: 1 })).toBe(true);
    for (const bad of [{}, { text: 1 }, { text: 'x', n: -1 }, { text: 'x', n: 1.5 }, { text: 'x', tags: ['a', 'b', 'c', 'd'] }, { text: 'x', mode: 'medium' }, { text: 'x', opts: { deep: true, more: 1 } }, [], 'text']) {
      expect(check?.(bad)).toBe(false);
    }
  });

  it('leaves schemas outside its subset to the full validator', () => {
    for (const schema of [
      { $ref: '#/$defs/x', $defs: { x: { type: 'string' } } },
      { anyOf: [{ type: 'string' }, { type: 'number' }] },
      { type: 'string', pattern: '^a' },
      { type: 'string', minLength: 2 },
      { type: 'string', format: 'email' },
      { type: 'object', properties: { a: { not: {} } } },
      { enum: [{ a: 1 }] },
      { type: 'object', patternProperties: { '^x': {} } },
      false,
      { type: 'date' },
    ]) {
      expect(compileFastCheck(schema)).toBeUndefined();
    }
  });
});
