import { describe, expect, it } from 'vitest';
import { CALL_PROFILES, callProfile, checkReply, closedLoop, GOALS, judgeGoals, median, percentile, STREAM_PROFILE } from '../src/index.js';
import type { RoundTripResult } from '../src/round-trip.js';

describe('payload profiles', () => {
  it('are the shapes issue 13 names', () => {
    expect(CALL_PROFILES.map((p) => p.id)).toEqual(['echo', 'tool-call', 'args-1k', 'args-16k']);
    const call = callProfile('tool-call').args;
    expect(Object.keys(call)).toEqual(['agent', 'input']);
    const input = call['input'];
    if (typeof input !== 'object' || input === null || !('text' in input) || typeof input.text !== 'string') throw new Error('no input.text');
    expect(input.text).toHaveLength(50);
    expect(Object.keys(input)).toEqual(['text', 'n', 'temperature', 'tags']);
    expect(Buffer.byteLength(STREAM_PROFILE.token)).toBe(20);
    expect(STREAM_PROFILE.tokens).toBe(200);
  });

  it('sizes the structured arguments to 1 KiB and 16 KiB of JSON (within one record)', () => {
    for (const [id, bytes] of [['args-1k', 1024], ['args-16k', 16 * 1024]] as const) {
      const size = JSON.stringify(callProfile(id).args).length;
      expect(size, id).toBeGreaterThanOrEqual(bytes);
      expect(size, id).toBeLessThan(bytes + 100);
    }
  });

  it('checks a reply by the profile’s key and rejects anything else', () => {
    const p = callProfile('tool-call');
    expect(() => checkReply(p, { ...p.args })).not.toThrow();
    expect(() => checkReply(p, { agent: 'other' })).toThrow(/tool-call/);
    expect(() => checkReply(p, 'bench')).toThrow();
  });
});

describe('statistics', () => {
  it('median and nearest-rank percentile', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(median([])).toBeNaN();
    const hundred = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile(hundred, 99)).toBe(99);
    expect(percentile(hundred, 100)).toBe(100);
  });
});

describe('goals', () => {
  const round = (perSecond: number, p50: number, bytes: number): RoundTripResult => ({
    calls: 100,
    errors: 0,
    firstError: undefined,
    perSecond,
    latency: { count: 100, mean: p50, p50, p90: p50, p99: p50 * 2, max: p50 * 3 },
    bytesPerCall: bytes,
    clientCpuUsPerCall: 1,
    serverCpuUsPerCall: 1,
  });

  it('judges only goals whose two variants ran, on the median of per-round ratios', () => {
    const result = {
      profile: 'echo' as const,
      one: { ws: [round(1000, 0.1, 200), round(1000, 0.1, 200), round(1000, 0.3, 200)], 'raw-ws': [round(1200, 0.1, 190), round(1200, 0.1, 190), round(1200, 0.1, 190)] },
      many: { ws: [round(900, 1, 0), round(100, 1, 0), round(900, 1, 0)], 'raw-ws': [round(1000, 1, 0), round(1000, 1, 0), round(1000, 1, 0)] },
    };
    const verdicts = judgeGoals([result]);
    expect(verdicts.map((v) => v.id)).toEqual(GOALS.filter((g) => g.ours === 'ws' && g.reference === 'raw-ws').map((g) => g.id));
    const byId = new Map(verdicts.map((v) => [v.id, v]));
    expect(byId.get('ws/raw')?.ratio).toBeCloseTo(0.9);
    expect(byId.get('ws/raw')?.met).toBe(true);
    expect(byId.get('p50')?.ratio).toBeCloseTo(1);
    expect(byId.get('p50')?.met).toBe(true);
  });
});

describe('closed loop', () => {
  it('counts a call that never answers as a stalled error and ends instead of hanging', async () => {
    let n = 0;
    const started = performance.now();
    const r = await closedLoop(() => (++n === 5 ? new Promise(() => {}) : new Promise((resolve) => setImmediate(resolve))), { concurrency: 2, durationMs: 5_000, stallMs: 200 });
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(r.errors).toBe(1);
    expect(r.firstError).toMatch(/^stalled: 1 call\(s\) unanswered/);
    expect(r.calls).toBeGreaterThan(3);
  });

  it('runs to its deadline when every call answers', async () => {
    const r = await closedLoop(() => new Promise((resolve) => setTimeout(resolve, 5)), { concurrency: 2, durationMs: 150, stallMs: 100 });
    expect(r.errors).toBe(0);
    expect(r.calls).toBeGreaterThan(10);
  });
});
