import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ACK_EVERY, Acks, carriedAck, PIGGYBACK_AFTER } from './acks.js';

/** Counts the standalone ACKs the clock asks for. */
function counter(): { sent: number; sendAck(): void } {
  return {
    sent: 0,
    sendAck() {
      this.sent++;
    },
  };
}

describe('Acks', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('sends one ACK after the delay for frames that trickle in', () => {
    const s = counter();
    const acks = new Acks(s, 5);
    acks.received();
    vi.advanceTimersByTime(2);
    acks.received();
    expect(s.sent).toBe(0);
    vi.advanceTimersByTime(3);
    expect(s.sent).toBe(1);
    expect(acks.pending).toBe(0);
    vi.advanceTimersByTime(100);
    expect(s.sent).toBe(1);
  });

  it(`acknowledges at once after ${ACK_EVERY} frames, without waiting for the timer`, () => {
    const s = counter();
    const acks = new Acks(s, 1000);
    for (let i = 0; i < ACK_EVERY - 1; i++) acks.received();
    expect(s.sent).toBe(0);
    acks.received();
    expect(s.sent).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it(`lets an outgoing frame carry the ack once ${PIGGYBACK_AFTER} frames are owed, and then sends no ACK`, () => {
    const s = counter();
    const acks = new Acks(s, 1000);
    for (let i = 0; i < PIGGYBACK_AFTER - 1; i++) acks.received();
    expect(acks.carry()).toBe(0);
    acks.received();
    expect(acks.carry()).toBe(PIGGYBACK_AFTER);
    expect(acks.pending).toBe(0);
    vi.advanceTimersByTime(1000);
    expect(s.sent).toBe(0);
  });

  it('lets an outgoing frame carry a single ack once it has waited half the delay', () => {
    const acks = new Acks(counter(), 10);
    acks.received();
    vi.advanceTimersByTime(4);
    expect(acks.carry()).toBe(0);
    vi.advanceTimersByTime(1);
    expect(acks.carry()).toBe(1);
  });

  it('owes the acks again when the frame that was to carry them is not sent', () => {
    const s = counter();
    const acks = new Acks(s, 10);
    for (let i = 0; i < PIGGYBACK_AFTER; i++) acks.received();
    const carried = acks.carry();
    acks.uncarry(carried);
    expect(acks.pending).toBe(PIGGYBACK_AFTER);
    acks.uncarry(0);
    expect(acks.pending).toBe(PIGGYBACK_AFTER);
  });

  it('waits one more delay when acks rode on outgoing frames meanwhile (traffic both ways)', () => {
    const s = counter();
    const acks = new Acks(s, 10);
    acks.received();
    vi.advanceTimersByTime(5);
    expect(acks.carry()).toBe(1);
    acks.received(); // owed again; the timer is still armed from the first frame
    vi.advanceTimersByTime(5);
    expect(s.sent).toBe(0); // it fired, saw an ack had ridden along, and waits once more
    vi.advanceTimersByTime(10);
    expect(s.sent).toBe(1);
  });

  it("waits one more delay with a browser's timers too (setTimeout gives a number, nothing to refresh)", () => {
    const fakeSet = globalThis.setTimeout;
    const fakeClear = globalThis.clearTimeout;
    const timers = new Map<number, ReturnType<typeof setTimeout>>();
    let nextId = 1;
    vi.stubGlobal('setTimeout', (fn: () => void, ms: number) => {
      const id = nextId++;
      timers.set(id, fakeSet(fn, ms));
      return id;
    });
    vi.stubGlobal('clearTimeout', (id: number) => {
      fakeClear(timers.get(id));
      timers.delete(id);
    });
    try {
      const s = counter();
      const acks = new Acks(s, 10);
      acks.received();
      vi.advanceTimersByTime(5);
      expect(acks.carry()).toBe(1);
      acks.received();
      vi.advanceTimersByTime(5); // threw "refresh is not a function" before
      expect(s.sent).toBe(0);
      vi.advanceTimersByTime(10);
      expect(s.sent).toBe(1);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('sends nothing once stopped', () => {
    const s = counter();
    const acks = new Acks(s, 10);
    acks.received();
    acks.stop();
    vi.advanceTimersByTime(100);
    expect(s.sent).toBe(0);
  });
});

describe('carriedAck', () => {
  it.each([
    [{ ack: 0 }, 0],
    [{ ack: 17, sq: 3 }, 17],
    [{ sq: 3 }, undefined],
    [{ ack: null }, undefined],
    [null, undefined],
    [42, undefined],
    [[1, 2], undefined],
    [{ ack: -1 }, 'bad'],
    [{ ack: 1.5 }, 'bad'],
    [{ ack: '3' }, 'bad'],
    [{ ack: 2 ** 53 }, 'bad'],
  ])('reads %j as %j', (payload, expected) => {
    expect(carriedAck(payload)).toBe(expected);
  });
});
