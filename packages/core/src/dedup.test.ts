import { afterEach, describe, expect, it, vi } from 'vitest';
import { claimWaiting, MemoryDedupStore } from './dedup.js';
import { DEDUP_PENDING_POLL_MAX_MS, DEDUP_PENDING_WAIT_MS } from './defaults.js';

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

describe('claimWaiting', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('takes a key within one poll of its holder letting go, however long the holder took', async () => {
    vi.useFakeTimers();
    const store = new MemoryDedupStore({ now: () => Date.now() });
    await store.claim('k', 60_000);
    const waiting = claimWaiting(store, 'k', 60_000);
    let settledAt: number | undefined;
    void waiting.then(() => {
      settledAt = Date.now();
    });
    await vi.advanceTimersByTimeAsync(8_000);
    expect(settledAt).toBeUndefined();
    const releasedAt = Date.now();
    await store.release('k');
    await vi.advanceTimersByTimeAsync(DEDUP_PENDING_POLL_MAX_MS + 1);
    expect(settledAt).toBeDefined();
    expect(await waiting).toEqual({ status: 'new' });
    expect((settledAt ?? Number.POSITIVE_INFINITY) - releasedAt).toBeLessThanOrEqual(DEDUP_PENDING_POLL_MAX_MS);
  });

  it('gives up (undefined) once the holder has kept the key for the whole wait', async () => {
    vi.useFakeTimers();
    const store = new MemoryDedupStore({ now: () => Date.now() });
    await store.claim('k', 10 * DEDUP_PENDING_WAIT_MS);
    const started = Date.now();
    const waiting = claimWaiting(store, 'k', 60_000);
    await vi.advanceTimersByTimeAsync(DEDUP_PENDING_WAIT_MS + DEDUP_PENDING_POLL_MAX_MS + 1);
    expect(await waiting).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(DEDUP_PENDING_WAIT_MS);
  });

  it('stops waiting when its signal fires', async () => {
    const store = new MemoryDedupStore();
    await store.claim('k', 60_000);
    const ac = new AbortController();
    const waiting = claimWaiting(store, 'k', 60_000, ac.signal);
    setTimeout(() => ac.abort(), 30);
    expect(await waiting).toBeUndefined();
  });
});
