import { describe, expect, it } from 'vitest';
import { RequestIdAllocator, ulidFactory, ulidFromBytes, ulidTime, ulidToBytes } from './ids.js';

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

describe('message ids as 16 bytes (lean envelope)', () => {
  it('round-trip every ULID the generator makes, big-endian, time first', () => {
    const next = ulidFactory(() => 1_700_000_000_000);
    for (let i = 0; i < 500; i++) {
      const id = next();
      const bytes = ulidToBytes(id);
      expect(bytes?.byteLength).toBe(16);
      expect(ulidFromBytes(bytes ?? new Uint8Array())).toBe(id);
      // 48-bit milliseconds in the first 6 bytes
      const t = (bytes ?? new Uint8Array()).subarray(0, 6).reduce((n, b) => n * 256 + b, 0);
      expect(t).toBe(1_700_000_000_000);
    }
  });

  it('gives the extremes and a known id exactly', () => {
    expect(ulidFromBytes(new Uint8Array(16))).toBe('00000000000000000000000000');
    expect(ulidFromBytes(new Uint8Array(16).fill(0xff))).toBe('7ZZZZZZZZZZZZZZZZZZZZZZZZZ');
    expect(Buffer.from(ulidToBytes('01ARZ3NDEKTSV4RRFFQ69G5FAV') ?? []).toString('hex')).toBe('01563e3ab5d3d6764c61efb99302bd5b');
    expect(ulidToBytes('7ZZZZZZZZZZZZZZZZZZZZZZZZZ')).toEqual(new Uint8Array(16).fill(0xff));
  });

  it('leave every id that is not a canonical ULID to travel as a string', () => {
    for (const id of ['8ZZZZZZZZZZZZZZZZZZZZZZZZZ', '01arz3ndektsv4rrffq69g5fav', '01ARZ3NDEKTSV4RRFFQ69G5FAU1', '01ARZ3NDEKTSV4RRFFQ69G5FA', 'order-42', '01ARZ3NDEKTSV4RRFFQ69G5FAI', '01ARZ3NDEKTSV4RRFFQ69G5FAÉ']) {
      expect(ulidToBytes(id)).toBeUndefined();
    }
  });
});
