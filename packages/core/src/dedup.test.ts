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

  it('is bounded by bytes of outcomes, forgetting the oldest first but keeping the newest', async () => {
    const store = new MemoryDedupStore({ maxBytes: 10_000 });
    for (const k of ['a', 'b', 'c']) {
      await store.claim(k, 10_000);
      await store.complete(k, { kind: 'complete', chunks: ['x'.repeat(4000)], result: null, metrics: { durationMs: 1, chunks: 1 } }, 10_000);
    }
    expect(store.size).toBe(2);
    expect(store.byteSize).toBeLessThanOrEqual(10_000);
    expect(await store.claim('a', 10_000)).toEqual({ status: 'new' });
    await store.complete('big', { result: 'y'.repeat(50_000) }, 10_000);
    expect(store.size).toBe(1);
    expect(await store.claim('big', 10_000)).toMatchObject({ status: 'done' });
  });

  it('drops expired outcomes on a timer, without another call arriving', async () => {
    let now = 0;
    const store = new MemoryDedupStore({ now: () => now, sweepMs: 20 });
    await store.claim('a', 100);
    await store.complete('a', { result: 'x'.repeat(1000) }, 100);
    expect(store.size).toBe(1);
    now = 101;
    const deadline = Date.now() + 10_000;
    while (store.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(store.size).toBe(0);
    expect(store.byteSize).toBe(0);
    await store.close();
  });
});
