import type { Transport as AspTransport, Connector } from '@agentsocket/core';
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage, MessageExtraInfo } from '@modelcontextprotocol/sdk/types.js';

export interface Counter {
  bytes: number;
}

/** Counts the JSON-RPC bytes an MCP client transport sends and receives (as newline-delimited JSON). */
export function countMcp(inner: Transport, counter: Counter): Transport {
  const size = (m: JSONRPCMessage) => Buffer.byteLength(JSON.stringify(m)) + 1;
  const outer: Transport = {
    start: () => inner.start(),
    close: () => inner.close(),
    send: (message: JSONRPCMessage, options?: TransportSendOptions) => {
      counter.bytes += size(message);
      return inner.send(message, options);
    },
  };
  inner.onmessage = (message: JSONRPCMessage, extra?: MessageExtraInfo) => {
    counter.bytes += size(message);
    outer.onmessage?.(message, extra);
  };
  inner.onclose = () => outer.onclose?.();
  inner.onerror = (e) => outer.onerror?.(e);
  return outer;
}

/** Counts the ASP frame bytes a connector's transports send and receive. */
export function countAsp(connect: Connector, counter: Counter): Connector {
  return async (signal) => {
    const t: AspTransport = await connect(signal);
    const send = t.send.bind(t);
    t.send = (frame) => {
      counter.bytes += frame.byteLength;
      send(frame);
    };
    const start = t.start.bind(t);
    t.start = () => {
      const onframe = t.onframe;
      t.onframe = (frame) => {
        counter.bytes += frame.byteLength;
        onframe?.(frame);
      };
      start();
    };
    return t;
  };
}
