import { AgentClient, CloseCode } from '@agentsocket/core';
import {
  decodeFrame,
  encodeFrame,
  FrameType,
  SUBPROTOCOL,
} from '@agentsocket/core/transport';
import { msgpackCodec } from '@agentsocket/core/internal';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { wsConnector } from '../src/index.js';
import { closed, opened, startServer } from './helpers.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function started() {
  const s = await startServer();
  cleanups.push(() => s.server.close());
  return s;
}

const te = new TextEncoder();
const td = new TextDecoder();
const codec = msgpackCodec();

/** A raw socket that has sent HELLO (with or without `batch`) and read the reply. */
async function rawSession(url: string, batch: boolean) {
  const socket = new WebSocket(url, [SUBPROTOCOL]);
  cleanups.push(async () => socket.terminate());
  const messages: Uint8Array[] = [];
  let wake: (() => void) | undefined;
  socket.on('message', (data: Buffer) => {
    messages.push(new Uint8Array(data));
    wake?.();
  });
  await opened(socket);
  const hello = { v: [1], codecs: ['msgpack'], ...(batch ? { batch: true } : {}) };
  socket.send(encodeFrame(FrameType.HELLO, 0, 0, te.encode(JSON.stringify(hello))));
  const next = async (): Promise<Uint8Array> => {
    while (messages.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    return messages.shift() as Uint8Array;
  };
  const reply = decodeFrame(await next());
  expect(reply.type).toBe(FrameType.HELLO);
  return { socket, next, reply: JSON.parse(td.decode(reply.payload)) as Record<string, unknown> };
}

function invoke(rid: number, text: string): Uint8Array {
  // At-most-once (dl 0): not RELIABLE, so no sq and no ACKs in the way.
  return encodeFrame(FrameType.INVOKE, 0, rid, codec.encode({ id: `01J${String(rid).padStart(23, '0')}`, tool: 'tokens', args: { text }, dl: 0 }));
}

/** Cuts a message into frames by their headers, as a batching peer must. */
interface Cut {
  type: number;
  requestId: number;
  payload: unknown;
}

function cut(message: Uint8Array): Cut[] {
  const out: Cut[] = [];
  let at = 0;
  while (at < message.byteLength) {
    const view = new DataView(message.buffer, message.byteOffset + at);
    const end = at + 8 + view.getUint32(4);
    const frame = decodeFrame(message.subarray(at, end));
    out.push({ type: frame.type, requestId: frame.requestId, payload: codec.decode(frame.payload) });
    at = end;
  }
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

describe('batching (several frames per WebSocket message)', () => {
  it('is agreed only when the client offers it', async () => {
    const { url } = await started();
    expect((await rawSession(url, true)).reply['batch']).toBe(true);
    expect((await rawSession(url, false)).reply['batch']).toBeUndefined();
  });

  it('answers every frame of a batch, and batches its answers', async () => {
    const { url } = await started();
    const { socket, next } = await rawSession(url, true);
    socket.send(concat(invoke(1, 'a b'), invoke(2, 'c'), invoke(3, 'd e f')));
    const frames: Cut[] = [];
    let messages = 0;
    while (frames.filter((f) => f.type === FrameType.COMPLETE).length < 3) {
      frames.push(...cut(await next()));
      messages++;
    }
    // 2 + 1 + 3 STREAMs and 3 COMPLETEs, in order per request, in fewer messages than frames.
    expect(frames).toHaveLength(9);
    expect(messages).toBeLessThan(frames.length);
    for (const [rid, words] of [[1, ['a', 'b']], [2, ['c']], [3, ['d', 'e', 'f']]] as const) {
      const mine = frames.filter((f) => f.requestId === rid);
      expect(mine.map((f) => f.type)).toEqual([...words.map(() => FrameType.STREAM), FrameType.COMPLETE]);
      expect(mine.slice(0, -1).map((f) => (f.payload as { data: unknown }).data)).toEqual(words);
    }
  });

  it('never batches towards a peer that did not offer it', async () => {
    const { url } = await started();
    const { socket, next } = await rawSession(url, false);
    for (let rid = 1; rid <= 3; rid++) socket.send(invoke(rid, 'x y'));
    let completes = 0;
    while (completes < 3) {
      const message = await next();
      // decodeFrame rejects a message whose length field disagrees with its size: one frame each.
      const frame = decodeFrame(message);
      if (frame.type === FrameType.COMPLETE) completes++;
    }
  });

  it('answers bytes that do not tile into frames with ERROR 400 and 4400, after the whole frames before them', async () => {
    const { url } = await started();
    const { socket, next } = await rawSession(url, true);
    const done = closed(socket);
    const good = invoke(1, 'ok');
    // A second header that promises more payload than the message holds.
    const broken = encodeFrame(FrameType.INVOKE, 0, 2, new Uint8Array(40)).subarray(0, 20);
    socket.send(concat(good, broken));
    const frames: Cut[] = [];
    while (!frames.some((f) => f.type === FrameType.ERROR)) frames.push(...cut(await next()));
    const error = frames.find((f) => f.type === FrameType.ERROR);
    expect(error?.requestId).toBe(0);
    expect(error?.payload).toMatchObject({ code: 400 });
    expect((await done).code).toBe(CloseCode.BAD_FRAME);
  });

  it('carries 32 calls in flight in far fewer messages than frames, and none when turned off', async () => {
    const { url } = await started();
    const count = async (batch: boolean) => {
      let messages = 0;
      let frames = 0;
      const connect = wsConnector({ url });
      const client = new AgentClient({
        connect: async (signal) => {
          const t = await connect(signal);
          const socket = (t as unknown as { socket: WebSocket }).socket;
          socket.on('message', (data: Buffer) => {
            messages++;
            let at = 0;
            while (at < data.byteLength) {
              frames++;
              at += 8 + data.readUInt32BE(at + 4);
            }
          });
          return t;
        },
        reconnect: false,
        batch,
      });
      cleanups.push(() => client.close());
      await client.connect();
      for (let round = 0; round < 5; round++) {
        const calls = Array.from({ length: 32 }, (_, i) => client.invoke('tokens', { text: `w${i}` }).result);
        const results = await Promise.all(calls);
        expect(results.map((r) => r.value)).toEqual(calls.map(() => ({ words: 1 })));
      }
      return { messages, frames };
    };
    const on = await count(true);
    const off = await count(false);
    // 5 rounds × 32 calls × (STREAM + COMPLETE) = 320 frames and some ACKs.
    expect(on.frames).toBeGreaterThanOrEqual(320);
    expect(on.messages).toBeLessThan(on.frames / 8);
    expect(off.messages).toBe(off.frames);
  });

  it('keeps frame order and limits: a frame over the batch size goes alone, after what came before it', async () => {
    const { url } = await started();
    const client = new AgentClient({ connect: wsConnector({ url }), reconnect: false });
    cleanups.push(() => client.close());
    await client.connect();
    const big = 'x'.repeat(40 * 1024);
    const calls = [client.invoke('tokens', { text: 'a b' }), client.invoke('tokens', { text: `${big} ${big}` }), client.invoke('tokens', { text: 'c' })];
    const streamed = await Promise.all(
      calls.map(async (call) => {
        const chunks: unknown[] = [];
        for await (const chunk of call) chunks.push(chunk);
        return chunks;
      }),
    );
    expect(streamed).toEqual([['a', 'b'], [big, big], ['c']]);
  });
});
