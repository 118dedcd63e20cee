import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  AgentServer,
  AgentSocketError,
  type Codec,
  decodeClientHello,
  decodeFrame,
  decodeServerHello,
  defineAgent,
  encodeClientHello,
  encodeFrame,
  Flag,
  type Frame,
  FrameType,
  frameTypeName,
  jsonCodec,
  memoryTransportPair,
  msgpackCodec,
  msgpackReferenceCodec,
  parseMessage,
  RequestIdSpace,
  type Transport,
  type TransportCloseInfo,
} from '../src/index.js';
import { type DecodedFrame, fromHex, fromJson, type PeerReaction, parseVectors, toHex, toJson } from './vector-format.js';

const vectors = parseVectors(JSON.parse(readFileSync(new URL('../../../docs/test-vectors.json', import.meta.url), 'utf8')));

const codecs: Record<'msgpack' | 'json', Codec> = { msgpack: msgpackCodec(), json: jsonCodec() };

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
        if (v.codec === 'msgpack') expect(toJson(msgpackReferenceCodec().decode(frame.payload))).toEqual(v.decoded.payload);

        // And the receive path accepts it.
        if (frame.type === FrameType.HELLO) {
          if (frame.flags & Flag.REPLY) decodeServerHello(frame.payload);
          else decodeClientHello(frame.payload);
        } else {
          expect(parseMessage(frame.type, payload).type).toBe(frame.type);
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
        await expectReaction(bytes, v.codec, v.peer);
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

async function expectReaction(bytes: Uint8Array, codecName: 'msgpack' | 'json', peer: PeerReaction): Promise<void> {
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
      });
      clientEnd.send(encodeFrame(FrameType.HELLO, 0, 0, hello));
      const reply = await conn.next((f) => f.type === FrameType.HELLO);
      if (!reply) throw new Error('handshake failed');
      expect(decodeServerHello(reply.payload).codec).toBe(codecName);
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
