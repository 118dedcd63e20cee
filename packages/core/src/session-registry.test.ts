import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode, type ProtocolError } from './errors.js';
import { type RegisteredSession, type SessionLimits, SessionRegistry } from './session-registry.js';

class Fake implements RegisteredSession {
  readonly chan: { unackedBytes: number };
  readonly principal: { id: string };
  constructor(
    readonly sessionId: string,
    principal: string,
    unackedBytes = 0,
    readonly agentId = sessionId,
    readonly ns = '/',
  ) {
    this.principal = { id: principal };
    this.chan = { unackedBytes };
  }
}

function registry(limits: Partial<SessionLimits> = {}) {
  const ended: Array<{ id: string; error: ProtocolError }> = [];
  const r: SessionRegistry<Fake> = new SessionRegistry<Fake>({ perPrincipal: 2, retainedBytes: 1000, ttlMs: 60_000, ...limits }, (s, error) => {
    ended.push({ id: s.sessionId, error });
    r.remove(s); // as the server's endSession does
  });
  return { r, ended };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('SessionRegistry', () => {
  it('holds a place per principal for each session, refuses past the limit, and frees it on remove', () => {
    const { r } = registry();
    const alice = { id: 'alice' };
    expect(r.reserve(alice)).toBe(true);
    r.add(new Fake('a1', 'alice'), true);
    expect(r.reserve(alice)).toBe(true);
    expect(r.reserve(alice)).toBe(false); // the second place is held by a handshake still running
    expect(r.reserve({ id: 'bob' })).toBe(true); // limits are per principal
    r.release(alice); // that handshake failed
    expect(r.reserve(alice)).toBe(true);
    r.add(new Fake('a2', 'alice'), true);
    const a1 = r.get('a1');
    expect(a1 && r.remove(a1)).toBe(true);
    expect(a1 && r.remove(a1)).toBe(false);
    expect(r.reserve(alice)).toBe(true);
    expect(r.size).toBe(1);
  });

  it('counts a session added without a reservation (a takeover), even past the limit', () => {
    const { r } = registry({ perPrincipal: 1 });
    r.add(new Fake('a1', 'alice'), false);
    expect(r.reserve({ id: 'alice' })).toBe(false);
    r.add(new Fake('a2', 'alice'), false);
    expect(r.size).toBe(2);
  });

  it('ends a dropped session after the TTL unless it is resumed first', () => {
    const { r, ended } = registry({ ttlMs: 1000 });
    const a = new Fake('a', 'p');
    const b = new Fake('b', 'p');
    r.add(a, false);
    r.add(b, false);
    r.drop(a);
    r.drop(b);
    vi.advanceTimersByTime(500);
    r.undrop(b); // resumed
    expect(r.isDropped(b)).toBe(false);
    vi.advanceTimersByTime(499);
    expect(ended).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(ended.map((e) => [e.id, e.error.code])).toEqual([['a', ErrorCode.SESSION_EXPIRED]]);
    vi.advanceTimersByTime(10_000);
    expect(ended).toHaveLength(1);
    expect(r.all()).toEqual([b]);
  });

  it('a second drop restarts the TTL', () => {
    const { r, ended } = registry({ ttlMs: 1000 });
    const a = new Fake('a', 'p');
    r.add(a, false);
    r.drop(a);
    vi.advanceTimersByTime(900);
    r.undrop(a);
    r.drop(a);
    vi.advanceTimersByTime(900);
    expect(ended).toEqual([]);
    vi.advanceTimersByTime(100);
    expect(ended.map((e) => e.id)).toEqual(['a']);
  });

  it('past the retained bytes, ends the longest-dropped sessions first, and checks again while any wait', () => {
    const { r, ended } = registry({ retainedBytes: 1000 });
    const [a, b, c] = [new Fake('a', 'p', 400), new Fake('b', 'p', 400), new Fake('c', 'p', 100)];
    for (const s of [a, b, c]) r.add(s, false);
    r.drop(a);
    r.drop(b);
    r.drop(c);
    expect(ended).toEqual([]); // 900 bytes
    c.chan.unackedBytes = 500; // a dropped session still receives
    vi.advanceTimersByTime(1000);
    expect(ended.map((e) => [e.id, e.error.code])).toEqual([['a', ErrorCode.SESSION_EXPIRED]]);
    expect(r.all()).toEqual([b, c]);
    // A session dropped again goes to the end of the line.
    r.undrop(b);
    r.drop(b);
    c.chan.unackedBytes = 700;
    vi.advanceTimersByTime(1000);
    expect(ended.map((e) => e.id)).toEqual(['a', 'c']);
  });

  it('a session connected again keeps its bytes out of the total', () => {
    const { r, ended } = registry({ retainedBytes: 1000 });
    const [a, b] = [new Fake('a', 'p', 800), new Fake('b', 'p', 800)];
    r.add(a, false);
    r.add(b, false);
    r.drop(a);
    r.undrop(a);
    r.drop(b);
    vi.advanceTimersByTime(5000);
    expect(ended).toEqual([]);
  });

  it('removing a dropped session stops its TTL', () => {
    const { r, ended } = registry({ ttlMs: 1000 });
    const a = new Fake('a', 'p');
    r.add(a, false);
    r.drop(a);
    r.remove(a);
    vi.advanceTimersByTime(5000);
    expect(ended).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('finds the sessions of one agent id in one namespace, and forgets a removed one', () => {
    const { r } = registry({ perPrincipal: 10 });
    const a1 = new Fake('s1', 'p', 0, 'worker', '/team-a');
    const a2 = new Fake('s2', 'p', 0, 'worker', '/team-a');
    const b = new Fake('s3', 'p', 0, 'worker', '/team-b');
    const c = new Fake('s4', 'p', 0, 'lead', '/team-a');
    for (const s of [a1, a2, b, c]) r.add(s, false);
    expect(r.ofAgent('/team-a', 'worker')).toEqual([a1, a2]);
    expect(r.ofAgent('/team-b', 'worker')).toEqual([b]);
    r.remove(a1);
    expect(r.ofAgent('/team-a', 'worker')).toEqual([a2]);
    r.remove(a2);
    expect(r.ofAgent('/team-a', 'worker')).toEqual([]);
    expect(r.ofAgent('/team-a', 'lead')).toEqual([c]);
  });

  it('keeps three sessions of one agent in the order added, through removals from the middle and the ends, and an id added twice once', () => {
    const { r } = registry({ perPrincipal: 10 });
    const [x, y, z] = ['s1', 's2', 's3'].map((id) => new Fake(id, 'p', 0, 'worker', '/'));
    for (const s of [x, y, z]) r.add(s as Fake, false);
    expect(r.ofAgent('/', 'worker')).toEqual([x, y, z]);
    r.remove(y as Fake);
    expect(r.ofAgent('/', 'worker')).toEqual([x, z]);
    r.add(y as Fake, true);
    r.add(y as Fake, true);
    expect(r.ofAgent('/', 'worker')).toEqual([x, z, y]);
    r.remove(x as Fake);
    r.remove(y as Fake);
    expect(r.ofAgent('/', 'worker')).toEqual([z]);
    expect(r.ofAgent('/other', 'worker')).toEqual([]);
    r.remove(z as Fake);
    expect(r.ofAgent('/', 'worker')).toEqual([]);
    expect(r.size).toBe(0);
  });
});
