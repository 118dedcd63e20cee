import type { Connector, Transport } from '@agentsocket/core';

export interface ByteCounter {
  bytes: number;
}

/**
 * Counts the ASP frame bytes both ways on every transport a connector opens, for the memory
 * transport, which has no socket to count at.
 */
export function countFrames(connect: Connector, counter: ByteCounter): Connector {
  return async (signal) => {
    const t = await connect(signal);
    const send = t.send.bind(t);
    t.send = (frame) => {
      counter.bytes += frame.byteLength;
      send(frame);
    };
    countIncoming(t, counter);
    return t;
  };
}

/** The client sets onframe several times (handshake, then session), so every handler set is wrapped. */
function countIncoming(t: Transport, counter: ByteCounter): void {
  let handler = t.onframe;
  const counted = (frame: Uint8Array) => {
    counter.bytes += frame.byteLength;
    handler?.(frame);
  };
  Object.defineProperty(t, 'onframe', {
    configurable: true,
    enumerable: true,
    get: () => (handler ? counted : undefined),
    set: (next: Transport['onframe']) => {
      handler = next;
    },
  });
}
