import type { Transport, TransportCloseInfo } from '@agentsocket/core';
import { transportSymbol } from '@agentsocket/core/transport';

/** Totals of one transport kind, read by observable counters at collection time. */
export interface TransportTotals {
  received: number;
  sent: number;
  active: number;
}

/**
 * A transport that adds the bytes of every frame it passes to `totals` (a number added per frame,
 * nothing allocated) and otherwise forwards everything, so every Transport rule of the one it
 * wraps still holds.
 */
export class CountingTransport implements Transport {
  readonly [transportSymbol] = true as const;
  readonly kind: string;
  readonly maxFrameBytes: number;
  onframe: ((frame: Uint8Array) => void) | undefined;
  onclose: ((info: TransportCloseInfo) => void) | undefined;
  readonly enableBatching: (() => void) | undefined;

  constructor(
    private readonly inner: Transport,
    private readonly totals: TransportTotals,
  ) {
    this.kind = inner.kind;
    this.maxFrameBytes = inner.maxFrameBytes;
    const batching = inner.enableBatching;
    this.enableBatching = batching ? () => batching.call(inner) : undefined;
    totals.active++;
    inner.onframe = (frame) => {
      totals.received += frame.byteLength;
      this.onframe?.(frame);
    };
    inner.onclose = (info) => {
      totals.active--;
      this.onclose?.(info);
    };
  }

  get bufferedAmount(): number {
    return this.inner.bufferedAmount;
  }

  get open(): boolean {
    return this.inner.open;
  }

  start(): void {
    this.inner.start();
  }

  send(frame: Uint8Array): void {
    this.inner.send(frame);
    this.totals.sent += frame.byteLength;
  }

  close(code?: number, reason?: string): Promise<void> {
    return this.inner.close(code, reason);
  }
}
