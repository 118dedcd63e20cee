import { describe, expect, it } from 'vitest';
import { encodeFrame } from './frame.js';
import { BaseTransport, type BaseTransportOptions } from './transport-base.js';

/** A BaseTransport over an array: what it writes, and a way to feed it messages. */
class ArrayTransport extends BaseTransport {
  readonly written: Uint8Array[] = [];
  constructor(batchBytes: number, batchFrames?: number, more: Partial<BaseTransportOptions> = {}) {
    super({ kind: 'array', maxFrameBytes: 1 << 20, maxBufferedBytes: 1 << 30, batchBytes, ...(batchFrames ? { batchFrames } : {}), ...more });
  }
  protected get socketBufferedAmount(): number {
    return 0;
  }
  protected get socketOpen(): boolean {
    return true;
  }
  protected write(frame: Uint8Array): void {
    this.written.push(frame);
  }
  protected shutdown(): void {}
  feed(message: Uint8Array): void {
    this.received(message);
  }
}

const frame = (rid: number, size: number) => encodeFrame(0x3, 0, rid, new Uint8Array(size).fill(rid));
const turn = () => new Promise((resolve) => setImmediate(resolve));
const concat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));

describe('BaseTransport batching', () => {
  it('has no enableBatching without batchBytes, and writes one frame per message until enabled', async () => {
    expect(new ArrayTransport(0).enableBatching).toBeUndefined();
    const t = new ArrayTransport(1024);
    t.send(frame(1, 4));
    t.send(frame(2, 4));
    expect(t.written).toHaveLength(2);
    t.enableBatching?.();
    t.send(frame(3, 4));
    t.send(frame(4, 4));
    t.send(frame(5, 4));
    // The turn's first frame goes at once, the rest together at the end of the turn.
    expect(t.written).toHaveLength(3);
    await turn();
    expect(t.written).toEqual([frame(1, 4), frame(2, 4), frame(3, 4), concat(frame(4, 4), frame(5, 4))]);
    t.send(frame(6, 4));
    expect(t.written).toHaveLength(5);
  });

  it('counts the batch still being collected in bufferedAmount', async () => {
    const t = new ArrayTransport(1024, undefined, { batching: 'always' });
    t.send(frame(1, 4)); // the turn's first frame: written at once
    expect(t.bufferedAmount).toBe(0);
    t.send(frame(2, 4));
    t.send(frame(3, 6));
    expect(t.bufferedAmount).toBe(frame(2, 4).byteLength + frame(3, 6).byteLength);
    await turn();
    expect(t.bufferedAmount).toBe(0);
  });

  it("batches from the start with batching: 'always', and then offers nothing to negotiate", async () => {
    const t = new ArrayTransport(1024, undefined, { batching: 'always' });
    expect(t.enableBatching).toBeUndefined();
    t.send(frame(1, 4));
    t.send(frame(2, 4));
    t.send(frame(3, 4));
    await turn();
    expect(t.written).toEqual([frame(1, 4), concat(frame(2, 4), frame(3, 4))]);
    const got: Uint8Array[] = [];
    t.onframe = (f) => got.push(f);
    t.start();
    t.feed(concat(frame(4, 1), frame(5, 2)));
    expect(got).toEqual([frame(4, 1), frame(5, 2)]);
  });

  it('holds the first frame of a turn with the rest with batchWholeTurn', async () => {
    const t = new ArrayTransport(1024, undefined, { batching: 'always', batchWholeTurn: true });
    t.send(frame(1, 4));
    t.send(frame(2, 4));
    expect(t.written).toEqual([]);
    await turn();
    expect(t.written).toEqual([concat(frame(1, 4), frame(2, 4))]);
  });

  it('sends a frame over the batch size alone, after the frames before it, and flushes on close', async () => {
    const t = new ArrayTransport(64);
    t.enableBatching?.();
    t.send(frame(0, 1));
    t.send(frame(1, 10));
    t.send(frame(2, 100));
    t.send(frame(3, 10));
    t.send(frame(4, 10));
    expect(t.written).toEqual([frame(0, 1), frame(1, 10), frame(2, 100)]);
    await t.close();
    expect(t.written).toEqual([frame(0, 1), frame(1, 10), frame(2, 100), concat(frame(3, 10), frame(4, 10))]);
  });

  it('sends a batch as soon as it holds batchFrames frames', async () => {
    const t = new ArrayTransport(1024, 3);
    t.enableBatching?.();
    for (let rid = 1; rid <= 6; rid++) t.send(frame(rid, 2));
    expect(t.written).toEqual([frame(1, 2), concat(frame(2, 2), frame(3, 2), frame(4, 2))]);
    await turn();
    expect(t.written).toEqual([frame(1, 2), concat(frame(2, 2), frame(3, 2), frame(4, 2)), concat(frame(5, 2), frame(6, 2))]);
  });

  it('cuts received messages into frames once enabled, and passes bytes that do not tile on as they are', () => {
    const t = new ArrayTransport(1024);
    const got: Uint8Array[] = [];
    t.onframe = (f) => got.push(f);
    t.start();
    const two = concat(frame(1, 3), frame(2, 5));
    t.feed(two);
    expect(got).toEqual([two]);
    t.enableBatching?.();
    got.length = 0;
    t.feed(two);
    const tail = frame(3, 9).subarray(0, 12);
    t.feed(concat(frame(4, 2), tail));
    expect(got).toEqual([frame(1, 3), frame(2, 5), frame(4, 2), tail]);
  });
});
