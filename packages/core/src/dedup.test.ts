import { describe, expect, it } from 'vitest';
import { MemoryDedupStore } from './dedup.js';

describe('memory dedup window', () => {
  it('claims once, reports pending, then the recorded outcome', async () => {
    const store = new MemoryDedupStore();
    expect(await store.claim('a', 1000)).toEqual({ status: 'new' });
    expect(await store.claim('a', 1000)).toEqual({ status: 'pending' });
    await store.complete('a', { v: 1 }, 1000);
    expect(await store.claim('a', 1000)).toEqual({ status: 'done', outcome: { v: 1 } });
    await store.release('a');
    expect(await store.claim('a', 1000)).toEqual({ status: 'new' });
  });

  it('forgets entries after their TTL', async () => {
    let now = 0;
    const store = new MemoryDedupStore({ now: () => now });
    await store.claim('a', 100);
    now = 101;
    expect(await store.claim('a', 100)).toEqual({ status: 'new' });
  });

  it('is bounded by count, forgetting the oldest first', async () => {
    const store = new MemoryDedupStore({ maxEntries: 3 });
    for (const k of ['a', 'b', 'c', 'd']) await store.claim(k, 10_000);
    expect(store.size).toBe(3);
    expect(await store.claim('a', 10_000)).toEqual({ status: 'new' });
    expect(await store.claim('d', 10_000)).toEqual({ status: 'pending' });
  });
});
