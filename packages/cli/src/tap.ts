import type { Connector, Transport } from '@agentsocket/core';

export type Direction = 'out' | 'in';

/** The same transport, with every frame it sends and receives shown to `see` first. */
export function tapTransport(transport: Transport, see: (direction: Direction, frame: Uint8Array) => void): Transport {
  return new Proxy(transport, {
    get(target, prop) {
      if (prop === 'send') {
        return (frame: Uint8Array) => {
          see('out', frame);
          target.send(frame);
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
    set(target, prop, value: unknown) {
      if (prop === 'onframe' && typeof value === 'function') {
        const deliver = value as (frame: Uint8Array) => void;
        return Reflect.set(target, prop, (frame: Uint8Array) => {
          see('in', frame);
          deliver(frame);
        }, target);
      }
      return Reflect.set(target, prop, value, target);
    },
  });
}

export function tapConnector(connect: Connector, see: (direction: Direction, frame: Uint8Array) => void): Connector {
  return async (signal) => tapTransport(await connect(signal), see);
}
