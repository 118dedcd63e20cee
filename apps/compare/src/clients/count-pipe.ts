import { serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { ByteCounter } from './count-frames.js';

/**
 * Counts the bytes an MCP stdio transport moves over its pipes: each message as the SDK's
 * serializeMessage writes it (JSON + newline), which is exactly what crosses the pipe.
 */
export function countPipe(inner: Transport, counter: ByteCounter): Transport {
  const size = (message: Parameters<Transport['send']>[0]) => Buffer.byteLength(serializeMessage(message));
  const outer: Transport = {
    start: () => inner.start(),
    close: () => inner.close(),
    send: (message, options) => {
      counter.bytes += size(message);
      return inner.send(message, options);
    },
  };
  inner.onmessage = (message, extra) => {
    counter.bytes += size(message);
    outer.onmessage?.(message, extra);
  };
  inner.onclose = () => outer.onclose?.();
  inner.onerror = (error) => outer.onerror?.(error);
  return outer;
}
