import { describe, expect, it } from 'vitest';
import { jsonCodec, msgpackCodec } from './codec.js';
import { AgentSocketError } from './errors.js';
import { checkJsonShape, MAX_PAYLOAD_CONTAINERS, MAX_PAYLOAD_DEPTH, MAX_PAYLOAD_VALUES } from './payload-limits.js';

const te = new TextEncoder();
const json = jsonCodec();
const msgpack = msgpackCodec();

/** Depth, values and containers of a decoded value, counted as payload-limits.ts defines them. */
function shape(value: unknown): { depth: number; values: number; containers: number } {
  let depth = 0;
  let values = 1;
  let containers = 0;
  const todo: Array<[unknown, number]> = [[value, 0]];
  for (let next = todo.pop(); next; next = todo.pop()) {
    const [v, level] = next;
    if (typeof v !== 'object' || v === null) continue;
    containers++;
    depth = Math.max(depth, level + 1);
    const items = Array.isArray(v) ? v : Object.entries(v).flat();
    values += items.length;
    for (const item of items) todo.push([item, level + 1]);
  }
  return { depth, values, containers };
}

/** A seeded generator (mulberry32), so a failure names the input that broke it. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomValue(next: () => number, depth: number): unknown {
  const pick = Math.floor(next() * (depth > 70 ? 4 : 7));
  switch (pick) {
    case 0:
      return Math.floor(next() * 1000);
    case 1:
      return ['', 'a', '[{"', 'x\\"]}', '\\', ' , : '][Math.floor(next() * 6)];
    case 2:
      return next() < 0.5;
    case 3:
      return null;
    case 4:
    case 5:
      return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(next, depth + 1));
    default:
      return Object.fromEntries(Array.from({ length: Math.floor(next() * 4) }, (_, i) => [`k${i}[{"`, randomValue(next, depth + 1)]));
  }
}

function refused(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(AgentSocketError);
    return (error as AgentSocketError).message;
  }
  throw new Error('not refused');
}

describe('payload shape limits (protocol.md §4, §21)', () => {
  it('JSON: nesting of 64 decodes, 65 is refused before JSON.parse, brackets in strings do not count', () => {
    const nested = (n: number) => te.encode(`${'['.repeat(n)}${']'.repeat(n)}`);
    expect(shape(json.decode(nested(MAX_PAYLOAD_DEPTH))).depth).toBe(64);
    expect(refused(() => json.decode(nested(MAX_PAYLOAD_DEPTH + 1)))).toMatch(/deeper than 64/);
    // 7.6 MiB of nesting: refused in one pass, with nothing built.
    const bomb = nested(4_000_000);
    const started = performance.now();
    expect(refused(() => json.decode(bomb))).toMatch(/deeper than 64/);
    expect(performance.now() - started).toBeLessThan(1000);
    const inStrings = te.encode(JSON.stringify({ a: '['.repeat(1000), b: '\\"[[[[' + '{'.repeat(200), c: [1, '"]]]"'] }));
    expect(() => json.decode(inStrings)).not.toThrow();
  });

  it('JSON and MessagePack: the same limits on values and on arrays and maps', () => {
    const zeros = (n: number) => new Array<number>(n).fill(0);
    const empties = (n: number) => Array.from({ length: n }, () => ({}));
    for (const codec of [json, msgpack]) {
      expect(shape(codec.decode(codec.encode(zeros(MAX_PAYLOAD_VALUES - 1)))).values).toBe(MAX_PAYLOAD_VALUES);
      expect(refused(() => codec.decode(codec.encode(zeros(MAX_PAYLOAD_VALUES))))).toMatch(/more than 2097152 values/);
      expect(shape(codec.decode(codec.encode(empties(MAX_PAYLOAD_CONTAINERS - 1)))).containers).toBe(MAX_PAYLOAD_CONTAINERS);
      expect(refused(() => codec.decode(codec.encode(empties(MAX_PAYLOAD_CONTAINERS))))).toMatch(/more than 524288 arrays and maps/);
      // A map's keys count as values too.
      const wide = Object.fromEntries(zeros(MAX_PAYLOAD_VALUES / 16).map((_, i) => [`k${i}`, 0]));
      expect(refused(() => codec.decode(codec.encode(new Array(8).fill(wide))))).toMatch(/values/);
    }
  }, 60_000);

  it('MessagePack: nesting of 64 decodes, 65 is refused, in arrays and maps; a map is no map key', () => {
    for (const open of [[0x91], [0x81, 0xa1, 0x6b]]) {
      const nest = (n: number) => Uint8Array.from([...Array.from({ length: n }, () => open).flat(), 0x01]);
      expect(() => msgpack.decode(nest(MAX_PAYLOAD_DEPTH))).not.toThrow();
      expect(refused(() => msgpack.decode(nest(MAX_PAYLOAD_DEPTH + 1)))).toMatch(/deeper than 64/);
    }
    expect(refused(() => msgpack.decode(Uint8Array.from([0x81, 0x81, 0xa1, 0x6b, 0x01, 0x01])))).toMatch(/map key \(at offset 1\) is not a string/);
  });

  it('agrees with the decoded value on random JSON (seeded)', () => {
    const seed = Number(process.env['FUZZ_SEED'] ?? Date.now() % 2 ** 31);
    const next = random(seed);
    for (let i = 0; i < 2000; i++) {
      const value = randomValue(next, 0);
      const text = JSON.stringify(value);
      const expected = shape(value);
      const ok = expected.depth <= MAX_PAYLOAD_DEPTH;
      // Scanning and decoding agree: what passes the scan has the shape the limits allow.
      let passed = true;
      try {
        checkJsonShape(te.encode(text.padEnd(text.length + 200, ' ')));
      } catch {
        passed = false;
      }
      expect(passed, `seed ${seed}, input ${i}: ${text.slice(0, 200)}`).toBe(ok);
      if (ok) expect(shape(msgpack.decode(msgpack.encode(value))), `seed ${seed}, input ${i}`).toEqual(expected);
    }
  });
});
