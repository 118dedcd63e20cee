import { readFileSync } from 'node:fs';
import { decode as stockDecode } from '@msgpack/msgpack';
import { describe, expect, it } from 'vitest';
import {
  AgentServer,
  AgentSocketError,
  type Codec,
  defineAgent,
  type Transport,
  type TransportCloseInfo,
} from '../src/index.js';
import {
  decodeFrame,
  encodeFrame,
  Flag,
  type Frame,
  FrameType,
  frameTypeName,
  HEADER_SIZE,
  memoryTransportPair,
  peekHeader,
  RequestIdSpace,
} from '../src/index.transport.js';
import {
  decodeClientHello,
  decodeServerHello,
  encodeClientHello,
  jsonCodec,
  msgpackCodec,
  parseMessage,
} from '../src/index.internal.js';
import { type DecodedFrame, fromHex, fromJson, type PeerReaction, parseVectors, toHex, toJson } from './vector-format.js';

const vectors = parseVectors(JSON.parse(readFileSync(new URL('../../../docs/test-vectors.json', import.meta.url), 'utf8')));

const codecs: Record<'msgpack' | 'json', Codec> = { msgpack: msgpackCodec(), json: jsonCodec() };

/** MessagePack formats with a fixed number of data bytes, and those with a length field (its size and what follows). */
const FIXED_SIZE = new Map([[0xca, 4], [0xcb, 8], [0xcc, 1], [0xcd, 2], [0xce, 4], [0xcf, 8], [0xd0, 1], [0xd1, 2], [0xd2, 4], [0xd3, 8]]);
const SIZED = new Map<number, [lengthBytes: number, kind: 'bytes' | 'array' | 'map']>([
  [0xc4, [1, 'bytes']], [0xc5, [2, 'bytes']], [0xc6, [4, 'bytes']], [0xd9, [1, 'bytes']], [0xda, [2, 'bytes']], [0xdb, [4, 'bytes']],
  [0xdc, [2, 'array']], [0xdd, [4, 'array']], [0xde, [2, 'map']], [0xdf, [4, 'map']],
]);

/** Walks one MessagePack value from `at`, noting the format byte of every value; returns where it ends. */
function msgpackFormats(b: Uint8Array, at: number, seen: Set<number>): number {
  const t = b[at] ?? -1;
  const view = new DataView(b.buffer, b.byteOffset);
  const len = (size: number) => (size === 1 ? view.getUint8(at + 1) : size === 2 ? view.getUint16(at + 1) : view.getUint32(at + 1));
  const items = (count: number, from: number) => {
    let p = from;
    for (let i = 0; i < count; i++) p = msgpackFormats(b, p, seen);
    return p;
  };
  seen.add(t >= 0xe0 || t <= 0x7f ? 0x00 : t >= 0x80 && t <= 0x8f ? 0x80 : t >= 0x90 && t <= 0x9f ? 0x90 : t >= 0xa0 && t <= 0xbf ? 0xa0 : t);
  if (t <= 0x7f || t >= 0xe0 || t === 0xc0 || t === 0xc2 || t === 0xc3) return at + 1;
  if (t <= 0x8f) return items(2 * (t & 0x0f), at + 1);
  if (t <= 0x9f) return items(t & 0x0f, at + 1);
  if (t <= 0xbf) return at + 1 + (t & 0x1f);
  const f = FIXED_SIZE.get(t);
  if (f !== undefined) return at + 1 + f;
  const z = SIZED.get(t);
  if (!z) throw new Error(`format 0x${t.toString(16)} at ${at} is not one the reference writes`);
  const n = len(z[0]);
  const from = at + 1 + z[0];
  return z[1] === 'bytes' ? from + n : items(z[1] === 'map' ? 2 * n : n, from);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function header(f: Frame): Omit<DecodedFrame, 'payload' | 'flagNames'> {
  return {
    version: f.version,
    type: f.type,
    typeName: frameTypeName(f.type),
    flags: f.flags,
    requestId: f.requestId,
    payloadLength: f.payload.byteLength,
  };
}

function withoutPayload(d: DecodedFrame): Omit<DecodedFrame, 'payload' | 'flagNames'> {
  return { version: d.version, type: d.type, typeName: d.typeName, flags: d.flags, requestId: d.requestId, payloadLength: d.payloadLength };
}

describe('docs/test-vectors.json', () => {
  it('covers every frame type, both codecs, the RELIABLE flag, both request id halves and bad input', () => {
    const valid = vectors.flatMap((v) => (v.kind === 'valid' ? [v] : []));
    const types = new Set(valid.map((v) => v.decoded.type));
    for (const [name, type] of Object.entries(FrameType)) {
      if (type === FrameType.EXTENSION) continue; // no extension is defined; 0xF appears as a rejected frame
      expect(types.has(type), name).toBe(true);
    }
    expect(vectors.some((v) => v.kind === 'rejected' && v.decoded.type === FrameType.EXTENSION)).toBe(true);
    expect(new Set(valid.map((v) => v.codec))).toEqual(new Set(['msgpack', 'json']));
    expect(valid.some((v) => v.decoded.flags & Flag.RELIABLE)).toBe(true);
    expect(valid.some((v) => v.decoded.requestId === RequestIdSpace.CLIENT_MAX)).toBe(true);
    expect(valid.some((v) => v.decoded.requestId >= RequestIdSpace.SERVER_MIN)).toBe(true);
    expect(vectors.filter((v) => v.kind === 'invalid').length).toBeGreaterThanOrEqual(3);
    expect(new Set(vectors.map((v) => v.name)).size).toBe(vectors.length);
    // HELLO offering and agreeing to batch and piggyback, a carried ack, and a batched message.
    const hellos = valid.filter((v) => v.decoded.type === FrameType.HELLO).map((v) => v.decoded.payload);
    expect(hellos.some((p) => isRecord(p) && p['batch'] === true && p['piggyback'] === true && !('sid' in p))).toBe(true);
    expect(hellos.some((p) => isRecord(p) && p['batch'] === true && p['piggyback'] === true && 'sid' in p)).toBe(true);
    expect(valid.some((v) => v.decoded.type !== FrameType.ACK && isRecord(v.decoded.payload) && 'ack' in v.decoded.payload)).toBe(true);
    expect(vectors.some((v) => v.kind === 'batch')).toBe(true);
  });

  it('covers every MessagePack format the reference writes', () => {
    const seen = new Set<number>();
    for (const v of vectors) {
      if (v.kind !== 'valid' || v.codec !== 'msgpack' || v.decoded.type === FrameType.HELLO) continue;
      const payload = decodeFrame(fromHex(v.hex)).payload;
      expect(msgpackFormats(payload, 0, seen)).toBe(payload.byteLength);
    }
    const formats = new Map([
      ['uint 8', 0xcc], ['uint 16', 0xcd], ['uint 32', 0xce], ['int 8', 0xd0], ['int 16', 0xd1], ['int 32', 0xd2], ['float 64', 0xcb],
      ['str 8', 0xd9], ['str 16', 0xda], ['array 16', 0xdc], ['map 16', 0xde], ['bin 8', 0xc4], ['true', 0xc3], ['false', 0xc2], ['nil', 0xc0],
    ]);
    for (const [name, byte] of formats) expect(seen.has(byte), name).toBe(true);
    const all = vectors.flatMap((v) => (v.kind === 'valid' ? [toJson(v.decoded.payload)] : []));
    const numbers: number[] = [];
    const walk = (x: unknown): void => {
      if (typeof x === 'number') numbers.push(x);
      else if (Array.isArray(x)) x.forEach(walk);
      else if (isRecord(x)) Object.values(x).forEach(walk);
    };
    all.forEach(walk);
    expect(numbers.some((n) => n < -(2 ** 31))).toBe(true);
    expect(numbers.some((n) => n >= 2 ** 32)).toBe(true);
    expect(numbers.some((n) => !Number.isInteger(n))).toBe(true);
  });

  describe('batched messages', () => {
    for (const v of vectors) {
      if (v.kind !== 'batch') continue;
      it(v.name, () => {
        const bytes = fromHex(v.hex);
        const codec = codecs[v.codec];
        let at = 0;
        const cut: Uint8Array[] = [];
        while (at < bytes.byteLength) {
          const h = peekHeader(bytes.subarray(at));
          if (!h) throw new Error(`no header at byte ${at}`);
          cut.push(bytes.subarray(at, at + HEADER_SIZE + h.length));
          at += HEADER_SIZE + h.length;
        }
        expect(at).toBe(bytes.byteLength); // the lengths tile the message exactly
        expect(cut.length).toBe(v.frames.length);
        cut.forEach((part, i) => {
          const expected = v.frames[i];
          if (!expected?.payload) throw new Error(`frames[${i}] has no payload`);
          const frame = decodeFrame(part);
          expect(header(frame)).toEqual(withoutPayload(expected));
          const payload = codec.decode(frame.payload);
          expect(toJson(payload)).toEqual(expected.payload);
          expect(parseMessage(frame.type, payload).type).toBe(frame.type);
          expect(toHex(encodeFrame(frame.type, frame.flags, frame.requestId, codec.encode(fromJson(expected.payload))))).toBe(toHex(part));
        });
      });
    }
  });

  describe('valid frames', () => {
    for (const v of vectors) {
      if (v.kind !== 'valid') continue;
      it(v.name, () => {
        const bytes = fromHex(v.hex);
        const frame = decodeFrame(bytes);
        expect(header(frame)).toEqual(withoutPayload(v.decoded));
        const codec = codecs[v.codec];
        const payload = codec.decode(frame.payload);
        expect(toJson(payload)).toEqual(v.decoded.payload);

        // Encoding the meaning gives back the same bytes.
        if (v.decoded.payload === undefined) throw new Error('a valid vector has a payload');
        const again = encodeFrame(v.decoded.type, v.decoded.flags, v.decoded.requestId, codec.encode(fromJson(v.decoded.payload)));
        expect(toHex(again)).toBe(v.hex);

        // A stock MessagePack library reads the same value.
        if (v.codec === 'msgpack') expect(toJson(stockDecode(frame.payload))).toEqual(v.decoded.payload);

        // And the receive path accepts it.
        if (frame.type === FrameType.HELLO) {
          if (frame.flags & Flag.REPLY) decodeServerHello(frame.payload);
          else decodeClientHello(frame.payload);
        } else {
          expect(parseMessage(frame.type, payload, v.lean === true).type).toBe(frame.type);
        }
        if (frame.flags & Flag.RELIABLE) {
          const sq = typeof payload === 'object' && payload !== null && 'sq' in payload ? payload.sq : undefined;
          expect(Number.isSafeInteger(sq) && typeof sq === 'number' && sq > 0, 'a RELIABLE payload carries sq > 0').toBe(true);
        }
      });
    }
  });

  describe('invalid byte strings', () => {
    for (const v of vectors) {
      if (v.kind !== 'invalid') continue;
      it(`${v.name}: decodeFrame throws ${v.error.code}`, () => {
        const bytes = fromHex(v.hex);
        let thrown: unknown;
        try {
          decodeFrame(bytes);
        } catch (e) {
          thrown = e;
        }
        expect(thrown).toBeInstanceOf(AgentSocketError);
        expect(thrown).toMatchObject({ code: v.error.code, message: v.error.message });
      });
      it(`${v.name}: a session answers ${v.peer.error} and closes ${v.peer.close}`, async () => {
        await expectReaction(fromHex(v.hex), 'msgpack', v.peer);
      });
    }
  });

  describe('frames a session rejects', () => {
    for (const v of vectors) {
      if (v.kind !== 'rejected') continue;
      it(v.name, async () => {
        const bytes = fromHex(v.hex);
        expect(header(decodeFrame(bytes))).toEqual(withoutPayload(v.decoded));
        await expectReaction(bytes, v.codec, v.peer, v.lean === true);
      });
    }
  });
});

// ---- a live server and a hand-driven connection ----

const agent = defineAgent({
  name: 'vectors',
  tools: {
    search: {
      input: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] },
      async *handler(args) {
        yield args['q'];
        return 'done';
      },
    },
  },
});

class RawConnection {
  readonly closed: Promise<TransportCloseInfo>;
  private readonly frames: Frame[] = [];
  private wake: () => void = () => {};

  constructor(readonly transport: Transport) {
    this.closed = new Promise((resolve) => {
      transport.onclose = (info) => {
        resolve(info);
        this.wake();
      };
    });
    transport.onframe = (bytes) => {
      this.frames.push(decodeFrame(bytes));
      this.wake();
    };
    transport.start();
  }

  /** The next frame that matches, or undefined once the connection has closed without one. */
  async next(match: (f: Frame) => boolean): Promise<Frame | undefined> {
    for (;;) {
      const i = this.frames.findIndex(match);
      if (i >= 0) return this.frames.splice(i, 1)[0];
      if (!this.transport.open) return undefined;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }
}

function payloadMap(codec: Codec, frame: Frame): Record<string, unknown> {
  const value = codec.decode(frame.payload);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('payload is not a map');
  return Object.fromEntries(Object.entries(value));
}

async function expectReaction(bytes: Uint8Array, codecName: 'msgpack' | 'json', peer: PeerReaction, lean = false): Promise<void> {
  const server = new AgentServer(agent, {
    authenticate: (token) => (token === 'secret-token' ? { id: 'tester' } : undefined),
  });
  const [clientEnd, serverEnd] = memoryTransportPair();
  server.accept(serverEnd, { transport: 'memory' });
  const conn = new RawConnection(clientEnd);
  try {
    // Before the handshake completes, errors are JSON; afterwards they use the session codec.
    let codec: Codec = jsonCodec();
    if (peer.stage === 'session') {
      const hello = encodeClientHello({
        versions: [1],
        codecs: [codecName],
        maxFrame: 1024 * 1024,
        heartbeatMs: 30_000,
        maxInflight: 8,
        token: 'secret-token',
        ...(lean ? { lean } : {}),
      });
      clientEnd.send(encodeFrame(FrameType.HELLO, 0, 0, hello));
      const reply = await conn.next((f) => f.type === FrameType.HELLO);
      if (!reply) throw new Error('handshake failed');
      expect(decodeServerHello(reply.payload).codec).toBe(codecName);
      expect(decodeServerHello(reply.payload).lean === true).toBe(lean);
      codec = codecs[codecName];
    }
    clientEnd.send(bytes);
    const error = await conn.next((f) => f.type === FrameType.ERROR);
    if (peer.close === null) {
      if (!error) throw new Error('no ERROR frame');
      expect(error.requestId).toBe(peer.requestId);
      expect(payloadMap(codec, error)['code']).toBe(peer.error);
      // Still open: a PING is answered.
      clientEnd.send(encodeFrame(FrameType.PING, 0, 0, codec.encode({ t: 7 })));
      const pong = await conn.next((f) => f.type === FrameType.PONG);
      if (!pong) throw new Error('connection closed');
      expect(payloadMap(codec, pong)).toEqual({ t: 7 });
    } else {
      const info = await conn.closed;
      expect(info.code).toBe(peer.close);
      if (!error) throw new Error('no ERROR frame before the close');
      expect(error.requestId).toBe(peer.requestId);
      expect(payloadMap(codec, error)['code']).toBe(peer.error);
    }
  } finally {
    await clientEnd.close();
    server.close();
  }
}

// A guard against a vector file written by hand: HELLO payloads must be the JSON the encoders make.
describe('HELLO vectors', () => {
  it('are byte-identical to encodeClientHello output', () => {
    const first = vectors.find((v) => v.kind === 'valid' && v.decoded.type === FrameType.HELLO && v.decoded.flags === 0);
    if (!first) throw new Error('no client HELLO vector');
    const bytes = encodeFrame(
      FrameType.HELLO,
      0,
      0,
      encodeClientHello({ versions: [1], codecs: ['msgpack', 'json'], maxFrame: 16 * 1024 * 1024, heartbeatMs: 30_000, maxInflight: 64, tools: [] }),
    );
    expect(toHex(bytes)).toBe(first.hex);
  });
});
