import { describe, expect, it } from 'vitest';
import { AgentClient, AgentServer, type Connector, defineAgent, memoryConnector, type Transport } from '../src/index.js';
import { decodeFrame, FrameType } from '../src/index.transport.js';
import { createCodec, ulidToBytes } from '../src/index.internal.js';

/** Every INVOKE, STREAM and COMPLETE payload both ways, decoded, and the HELLO and its reply. */
interface Seen {
  hello: Record<string, unknown> | undefined;
  reply: Record<string, unknown> | undefined;
  frames: Array<{ type: number; payload: Record<string, unknown> }>;
}

/** Wraps a connector so every frame both ways is looked at (the memory transport has no socket to watch). */
function watching(connect: Connector, seen: Seen, codecName: string): Connector {
  const codec = createCodec(codecName);
  const look = (bytes: Uint8Array) => {
    const f = decodeFrame(bytes);
    if (f.type === FrameType.HELLO) {
      const json = JSON.parse(new TextDecoder().decode(f.payload)) as Record<string, unknown>;
      if (f.flags & 1) seen.reply = json;
      else seen.hello = json;
      return;
    }
    if (f.type === FrameType.INVOKE || f.type === FrameType.STREAM || f.type === FrameType.COMPLETE) {
      seen.frames.push({ type: f.type, payload: codec.decode(f.payload) as Record<string, unknown> });
    }
  };
  return async (signal) => {
    const t: Transport = await connect(signal);
    const send = t.send.bind(t);
    t.send = (frame) => {
      look(frame);
      send(frame);
    };
    let handler = t.onframe;
    Object.defineProperty(t, 'onframe', {
      configurable: true,
      get: () =>
        handler
          ? (frame: Uint8Array) => {
              look(frame);
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

let runs = 0;
const agent = defineAgent({
  name: 'lean',
  tools: {
    echo: { handler: (args) => args },
    count: {
      handler: async function* (args: { n: number }) {
        for (let i = 0; i < args.n; i++) yield i;
        return { total: args.n };
      },
    },
    once: {
      handler: () => {
        runs++;
        return { run: runs };
      },
    },
  },
});

async function session(options: { client?: boolean; server?: boolean; codec?: string }) {
  const seen: Seen = { hello: undefined, reply: undefined, frames: [] };
  const codec = options.codec ?? 'msgpack';
  const server = new AgentServer(agent, options.server === undefined ? {} : { lean: options.server });
  const client = new AgentClient({
    connect: watching(memoryConnector(server), seen, codec),
    reconnect: false,
    codecs: [codec],
    ...(options.client === undefined ? {} : { lean: options.client }),
  });
  await client.connect();
  const done = async () => {
    await client.close();
    await server.close();
  };
  return { seen, server, client, done };
}

const of = (seen: Seen, type: number) => seen.frames.filter((f) => f.type === type).map((f) => f.payload);
/** A payload's keys but a carried `ack`, which comes and goes with timing (protocol.md §11). */
const keys = (payload: Record<string, unknown> | undefined) => Object.keys(payload ?? {}).filter((k) => k !== 'ack');

describe('lean envelope', () => {
  it('is agreed by default, and then INVOKE, STREAM and COMPLETE go in the lean form with a 16-byte ULID', async () => {
    const s = await session({});
    expect(s.seen.hello?.['lean']).toBe(true);
    expect(s.seen.reply?.['lean']).toBe(true);
    const call = s.client.invoke('count', { n: 2 });
    const chunks: unknown[] = [];
    for await (const c of call) chunks.push(c);
    const r = await call.result;
    expect(chunks).toEqual([0, 1]);
    expect(r.value).toEqual({ total: 2 });
    // Not asked for: no metrics on the wire, zeros at the caller.
    expect(r.metrics).toEqual({ durationMs: 0, chunks: 0 });
    const [invoke] = of(s.seen, FrameType.INVOKE);
    expect(keys(invoke)).toEqual(['i', 'n', 'a', 'sq']);
    expect(new Uint8Array(invoke?.['i'] as Uint8Array)).toEqual(ulidToBytes(call.messageId));
    expect(invoke?.['n']).toBe('count');
    expect(of(s.seen, FrameType.STREAM).map(keys)).toEqual([
      ['s', 'd', 'sq'],
      ['s', 'd', 'sq'],
    ]);
    expect(keys(of(s.seen, FrameType.COMPLETE)[0])).toEqual(['r', 'sq']);
    await s.done();
  });

  it('sends metrics to a caller that asks for them', async () => {
    const s = await session({});
    const r = await s.client.invoke('count', { n: 3 }, { metrics: true }).result;
    expect(r.metrics.chunks).toBe(3);
    expect(typeof r.metrics.cpuMs).toBe('number');
    expect(of(s.seen, FrameType.INVOKE)[0]?.['m']).toBe(true);
    expect(of(s.seen, FrameType.COMPLETE)[0]?.['m']).toMatchObject({ chunks: 3 });
    await s.done();
  });

  it.each([
    ['the client does not offer it', { client: false }],
    ['the server does not agree', { server: false }],
  ])('keeps the long form when %s, metrics and all', async (_name, options) => {
    const s = await session(options);
    expect(s.seen.reply?.['lean']).toBeUndefined();
    const call = s.client.invoke('count', { n: 1 });
    const r = await call.result;
    expect(r.metrics.chunks).toBe(1);
    expect(keys(of(s.seen, FrameType.INVOKE)[0])).toEqual(['id', 'tool', 'args', 'sq']);
    expect(of(s.seen, FrameType.INVOKE)[0]?.['id']).toBe(call.messageId);
    expect(keys(of(s.seen, FrameType.STREAM)[0])).toEqual(['seq', 'data', 'sq']);
    expect(keys(of(s.seen, FrameType.COMPLETE)[0])).toEqual(['result', 'metrics', 'sq']);
    await s.done();
  });

  it('sends the message id as a string with the JSON codec, and any id that is not a ULID', async () => {
    const s = await session({ codec: 'json' });
    const call = s.client.invoke('echo', { x: 1 });
    expect((await call.result).value).toEqual({ x: 1 });
    expect(of(s.seen, FrameType.INVOKE)[0]?.['i']).toBe(call.messageId);
    await s.done();
    const m = await session({});
    await m.client.invoke('echo', {}, { messageId: 'order-42' }).result;
    expect(of(m.seen, FrameType.INVOKE)[0]?.['i']).toBe('order-42');
    await m.done();
  });

  it('dedups an exactly-once call by its id whichever form it came in', async () => {
    const id = '01ARZ3NDEKTSV4RRFFQ69G5FAV';
    runs = 0;
    const server = new AgentServer(agent);
    for (const lean of [true, false, true]) {
      const client = new AgentClient({ connect: memoryConnector(server), reconnect: false, lean, name: 'same-caller' });
      await client.connect();
      const r = await client.invoke('once', {}, { delivery: 'exactly-once', messageId: id }).result;
      expect(r.value).toEqual({ run: 1 });
      await client.close();
    }
    expect(runs).toBe(1);
    await server.close();
  });
});
