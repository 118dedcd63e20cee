import { describe, expect, it } from 'vitest';
import { RequestIdAllocator, ulidFactory, ulidTime } from './ids.js';

describe('message ids', () => {
  it('are 26-char Crockford ULIDs, strictly increasing within a millisecond', () => {
    const next = ulidFactory(() => 1_700_000_000_000);
    const ids = Array.from({ length: 1000 }, next);
    for (const id of ids) expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(1000);
    expect(ulidTime(ids[0] ?? '')).toBe(1_700_000_000_000);
  });

  it('encode the 80-bit random part so that ids within a millisecond count up by one', () => {
    const next = ulidFactory(() => 42);
    const value = (id: string) => [...id.slice(10)].reduce((n, c) => n * 32n + BigInt('0123456789ABCDEFGHJKMNPQRSTVWXYZ'.indexOf(c)), 0n);
    let prev = value(next());
    expect(prev < 2n ** 79n).toBe(true);
    for (let i = 0; i < 300; i++) {
      const v = value(next());
      expect(v).toBe(prev + 1n);
      prev = v;
    }
  });

  it('sort by time across milliseconds', () => {
    let t = 1000;
    const next = ulidFactory(() => t);
    const a = next();
    t = 1001;
    expect(next() > a).toBe(true);
  });
});

describe('request ids', () => {
  it('split the space by side and wrap around skipping ids in use', () => {
    const client = new RequestIdAllocator('client');
    const server = new RequestIdAllocator('server');
    expect(client.allocate(() => false)).toBe(1);
    expect(server.allocate(() => false)).toBe(0x8000);
    expect(client.owns(0x7fff)).toBe(true);
    expect(client.owns(0x8000)).toBe(false);
    const used = new Set<number>([2, 3]);
    expect(client.allocate((id) => used.has(id))).toBe(4);
    for (let i = 5; i <= 0x7fff; i++) client.allocate(() => false);
    expect(client.allocate(() => false)).toBe(1); // wrapped
  });

  it('fail clearly when every id is in use', () => {
    const a = new RequestIdAllocator('client');
    expect(() => a.allocate(() => true)).toThrow(/all 32767 request ids are in use/);
  });
});
