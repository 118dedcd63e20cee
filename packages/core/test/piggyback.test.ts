import { describe, expect, it } from 'vitest';
import {
  AgentClient,
  AgentServer,
  type Connector,
  defineAgent,
  memoryConnector,
  type Transport,
} from '../src/index.js';
import { decodeFrame, FrameType } from '../src/index.transport.js';
import { msgpackCodec } from '../src/index.internal.js';

interface Seen {
  /** Standalone ACK frames, by direction. */
  acks: { toServer: number; toClient: number };
  /** Other frames whose payload carried `ack`, by direction. */
  carried: { toServer: number; toClient: number };
}

/** Wraps a connector so every frame both ways is looked at (the memory transport has no socket to watch). */
function watching(connect: Connector, seen: Seen): Connector {
  const codec = msgpackCodec();
  const look = (bytes: Uint8Array, dir: 'toServer' | 'toClient') => {
    const f = decodeFrame(bytes);
    if (f.type === FrameType.HELLO) return;
    if (f.type === FrameType.ACK) {
      seen.acks[dir]++;
      return;
    }
    const payload = codec.decode(f.payload) as Record<string, unknown>;
    if (payload['ack'] !== undefined) seen.carried[dir]++;
  };
  return async (signal) => {
    const t: Transport = await connect(signal);
    const send = t.send.bind(t);
    t.send = (frame) => {
      look(frame, 'toServer');
      send(frame);
    };
    let handler = t.onframe;
    Object.defineProperty(t, 'onframe', {
      configurable: true,
      get: () =>
        handler
          ? (frame: Uint8Array) => {
              look(frame, 'toClient');
              handler?.(frame);
            }
          : undefined,
      set: (next: Transport['onframe']) => {
        handler = next;
      },
    });
    return t;
  };
}

const agent = defineAgent({
  name: 'pb',
  tools: {
    echo: { handler: (args) => args },
    // A call that takes a millisecond or two: too slow for 8 of them to fit in the 5 ms ACK delay.
    slow: { handler: (args) => new Promise((resolve) => setTimeout(() => resolve(args), 1)) },
  },
});

async function run(options: { client?: boolean; server?: boolean }, calls: number, tool = 'echo'): Promise<Seen> {
  const seen: Seen = { acks: { toServer: 0, toClient: 0 }, carried: { toServer: 0, toClient: 0 } };
  const server = new AgentServer(agent, options.server === undefined ? {} : { piggybackAcks: options.server });
  const client = new AgentClient({
    connect: watching(memoryConnector(server), seen),
    reconnect: false,
    ...(options.client === undefined ? {} : { piggybackAcks: options.client }),
  });
  await client.connect();
  // One call in flight at a time, as a chat-like client makes them.
  for (let i = 0; i < calls; i++) expect((await client.invoke(tool, { i }).result).value).toEqual({ i });
  await new Promise((resolve) => setTimeout(resolve, 30)); // any ACK timer has fired
  await client.close();
  await server.close();
  return seen;
}

describe('acknowledgements carried by other frames (protocol.md §11)', () => {
  it('by default, calls one after another need no ACK frames: their acks ride on the next INVOKE and COMPLETE', async () => {
    const seen = await run({}, 400);
    expect(seen.carried.toServer).toBeGreaterThanOrEqual(400 / 8 - 2);
    expect(seen.carried.toClient).toBeGreaterThanOrEqual(400 / 8 - 2);
    // At most the last few, acknowledged by the timer once the traffic stopped.
    expect(seen.acks.toServer + seen.acks.toClient).toBeLessThanOrEqual(2);
  });

  it('slower calls one after another carry their acks too, once the oldest has waited half the ACK delay', async () => {
    const seen = await run({}, 40, 'slow');
    expect(seen.carried.toServer).toBeGreaterThanOrEqual(5);
    expect(seen.carried.toClient).toBeGreaterThanOrEqual(5);
    // Counting frames alone, 40 calls of 1-2 ms would see an ACK frame each way every 5 ms (~25).
    expect(seen.acks.toServer + seen.acks.toClient).toBeLessThanOrEqual(6);
  });

  it.each([
    ['the client', { client: false }],
    ['the server', { server: false }],
  ])('when %s does not agree, nothing carries ack and ACK frames do the work', async (_who, options) => {
    const seen = await run(options, 400);
    expect(seen.carried).toEqual({ toServer: 0, toClient: 0 });
    // One ACK per 32 frames or 5 ms, whichever comes first.
    expect(seen.acks.toServer).toBeGreaterThanOrEqual(400 / 32 - 1);
    expect(seen.acks.toClient).toBeGreaterThanOrEqual(400 / 32 - 1);
  });

  it('one-way traffic (a long stream) is still acknowledged by ACK frames, or the send window would fill', async () => {
    const streaming = defineAgent({
      name: 'stream',
      tools: {
        count: {
          async *handler(args: { n: number }) {
            for (let i = 0; i < args.n; i++) yield i;
          },
        },
      },
    });
    // A window of 64 frames: the stream stalls for good unless the client's ACKs keep coming.
    const server = new AgentServer(streaming, { window: { maxFrames: 64 } });
    const client = new AgentClient({ connect: memoryConnector(server), reconnect: false });
    await client.connect();
    let n = 0;
    const call = client.invoke('count', { n: 10_000 });
    for await (const _ of call) n++;
    await call.result;
    expect(n).toBe(10_000);
    await client.close();
    await server.close();
  });
});
