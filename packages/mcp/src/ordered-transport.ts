import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage, MessageExtraInfo } from '@modelcontextprotocol/sdk/types.js';

/**
 * Wraps an MCP SDK client transport so each response is handled after the notifications that
 * arrived before it. The SDK runs notification handlers a microtask late but responses at once, so
 * progress read in the same chunk as its response is dropped (typescript-sdk issue #2580); for
 * streamed chunks that is data loss. Responses and close are delayed by one microtask, which puts
 * them behind the notification handlers already queued. Requests and notifications pass as they are.
 */
export class OrderedTransport implements Transport {
  readonly inner: Transport;
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: (<T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void) | undefined;

  constructor(inner: Transport) {
    this.inner = inner;
    inner.onmessage = (message, extra) => {
      if ('method' in message) this.onmessage?.(message, extra);
      else queueMicrotask(() => this.onmessage?.(message, extra));
    };
    inner.onerror = (error) => this.onerror?.(error);
    inner.onclose = () => queueMicrotask(() => this.onclose?.());
  }

  get sessionId(): string | undefined {
    return this.inner.sessionId;
  }

  start(): Promise<void> {
    return this.inner.start();
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    return this.inner.send(message, options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  setProtocolVersion(version: string): void {
    this.inner.setProtocolVersion?.(version);
  }
}

/** See OrderedTransport. */
export function orderedTransport(inner: Transport): OrderedTransport {
  return new OrderedTransport(inner);
}
