import { describe, expect, it } from 'vitest';
import { ReliableChannel } from './reliable.js';

describe('reliable channel', () => {
  it('keeps frames until acknowledged and replays the rest in order', () => {
    const ch = new ReliableChannel();
    for (let i = 0; i < 5; i++) ch.record(ch.take(), new Uint8Array([i]));
    ch.acknowledge(2);
    expect(ch.unacked().map((f) => f[0])).toEqual([2, 3, 4]);
    expect(ch.unackedFrames).toBe(3);
    ch.acknowledge(5);
    expect(ch.unacked()).toEqual([]);
    expect(ch.unackedBytes).toBe(0);
  });

  it('drops duplicates on receive', () => {
    const ch = new ReliableChannel();
    expect(ch.receive(1)).toBe(true);
    expect(ch.receive(2)).toBe(true);
    expect(ch.receive(2)).toBe(false);
    expect(ch.receive(1)).toBe(false);
    expect(ch.lastReceived).toBe(2);
  });

  it('bounds the window by frames and bytes, always letting one frame through', async () => {
    const ch = new ReliableChannel({ maxFrames: 2, maxBytes: 10 });
    expect(ch.writable).toBe(true);
    ch.record(ch.take(), new Uint8Array(100)); // bigger than maxBytes, still allowed alone
    expect(ch.writable).toBe(false);
    let woke = false;
    const waiting = ch.whenWritable().then(() => {
      woke = true;
    });
    await Promise.resolve();
    expect(woke).toBe(false);
    ch.acknowledge(1);
    await waiting;
    expect(woke).toBe(true);
  });

  it('compacts after many acknowledgements without losing order', () => {
    const ch = new ReliableChannel({ maxFrames: 100_000 });
    for (let i = 0; i < 5000; i++) ch.record(ch.take(), new Uint8Array([i & 0xff]));
    ch.acknowledge(4000);
    ch.record(ch.take(), new Uint8Array([7]));
    expect(ch.unackedFrames).toBe(1001);
    expect(ch.unacked()[0]?.[0]).toBe(4000 & 0xff);
  });
});
