import { describe, expect, it } from 'vitest';
import { CloseCode, ErrorCode } from './errors.js';
import { decodeFrame, encodeFrame } from './frame.js';
import { type ClientHello, encodeClientHello } from './hello.js';
import { memoryTransportPair } from './memory-transport.js';
import type { ServerOffer } from './negotiate.js';
import { Flag, FrameType } from './opcodes.js';
import { type AdmissionRules, admit, randomToken, readHello, refuseConnection, sameToken, startHandshake } from './server-handshake.js';
import type { ConnectionInfo, Principal, Transport } from './transport.js';

const hello: ClientHello = { versions: [1], codecs: ['json'], maxFrame: 1 << 20, heartbeatMs: 20_000, maxInflight: 64 };
const helloFrame = (h: ClientHello = hello) => encodeFrame(FrameType.HELLO, 0, 0, encodeClientHello(h));

describe('readHello', () => {
  const cases: Array<[string, Uint8Array, number, number | 'ok']> = [
    ['a HELLO', helloFrame(), 1024, 'ok'],
    ['a HELLO exactly at the limit', helloFrame(), encodeClientHello(hello).byteLength, 'ok'],
    ['a HELLO one byte over the limit (413 before parsing)', helloFrame(), encodeClientHello(hello).byteLength - 1, CloseCode.FRAME_TOO_LARGE],
    ['a PING first', encodeFrame(FrameType.PING, 0, 0, new Uint8Array()), 1024, CloseCode.BAD_FRAME],
    ['a HELLO reply from a client', encodeFrame(FrameType.HELLO, Flag.REPLY, 0, encodeClientHello(hello)), 1024, CloseCode.BAD_FRAME],
    ['HELLO with a payload that is not JSON', encodeFrame(FrameType.HELLO, 0, 0, new Uint8Array([0xff, 0x00])), 1024, CloseCode.BAD_FRAME],
    ['HELLO without codecs', encodeFrame(FrameType.HELLO, 0, 0, new TextEncoder().encode('{"versions":[1]}')), 1024, CloseCode.BAD_FRAME],
    ['three bytes', new Uint8Array([1, 2, 3]), 1024, CloseCode.BAD_FRAME],
  ];
  it.each(cases)('%s', (_name, bytes, limit, expected) => {
    const read = readHello(bytes, limit);
    if (expected === 'ok') {
      expect(read).toEqual({ ok: true, hello });
      return;
    }
    expect(read.ok).toBe(false);
    if (read.ok) return;
    expect(read.closeCode).toBe(expected);
    expect(read.code).toBe(expected === CloseCode.FRAME_TOO_LARGE ? ErrorCode.FRAME_TOO_LARGE : ErrorCode.BAD_FRAME);
  });
});

describe('admit', () => {
  const offer: ServerOffer = {
    version: 1,
    codecs: ['json'],
    heartbeatMs: 30_000,
    batch: false,
    piggyback: false,
    lean: false,
    namespaces: [{ match: '/open' }, { match: '/closed', authorize: (p) => p.id === 'admin' }],
    connectionNamespace: undefined,
  };
  const info: ConnectionInfo = { transport: 'memory' };
  const rules = (authenticate: AdmissionRules['authenticate']): AdmissionRules => ({ offer, authenticate, maxAgentIdLength: 8 });
  const byToken = async (token: string | undefined): Promise<Principal | undefined> => (token ? { id: token } : undefined);

  const cases: Array<[string, Partial<ClientHello>, ConnectionInfo, number | 'ok']> = [
    ['a known client in an open namespace', { token: 'alice', namespace: '/open' }, info, 'ok'],
    // Version and codec are refused before authentication; the namespace only after it.
    ['an unknown version, unauthenticated', { versions: [9] }, info, CloseCode.UNSUPPORTED_VERSION],
    ['an unknown codec, unauthenticated', { codecs: ['cbor'] }, info, CloseCode.UNSUPPORTED_CODEC],
    ['no token', { namespace: '/nowhere' }, info, CloseCode.UNAUTHORIZED],
    ['a namespace with no rule', { token: 'alice', namespace: '/nowhere' }, info, CloseCode.FORBIDDEN],
    ["a namespace whose rule refuses the principal", { token: 'alice', namespace: '/closed' }, info, CloseCode.FORBIDDEN],
    ["a namespace whose rule admits the principal", { token: 'admin', namespace: '/closed' }, info, 'ok'],
    ['an agent id at the limit', { token: 'alice', namespace: '/open', agent: '12345678' }, info, 'ok'],
    ['an agent id past the limit', { token: 'alice', namespace: '/open', agent: '123456789' }, info, CloseCode.BAD_FRAME],
    ['a principal the transport established', { namespace: '/open' }, { transport: 'ws', principal: { id: 'bob' } }, 'ok'],
  ];
  it.each(cases)('%s', async (_name, change, connection, expected) => {
    const result = await admit({ ...hello, ...change }, connection, rules(byToken));
    if (expected === 'ok') {
      expect(result.ok).toBe(true);
      return;
    }
    expect(result).toMatchObject({ ok: false, closeCode: expected });
  });

  it('asks the authenticate hook only when the transport did not establish a principal', async () => {
    const asked: Array<string | undefined> = [];
    const authenticate = async (token: string | undefined) => {
      asked.push(token);
      return { id: 'x' };
    };
    await admit({ ...hello, token: 't1', namespace: '/open' }, info, rules(authenticate));
    await admit({ ...hello, token: 't2', namespace: '/open' }, { transport: 'ws', principal: { id: 'y' } }, rules(authenticate));
    await admit({ ...hello, versions: [9], token: 't3' }, info, rules(authenticate));
    expect(asked).toEqual(['t1']);
  });
});

/** The frames and close the far end of a memory pair sees. */
function watch(t: Transport): { frames: Uint8Array[]; closed: Promise<number> } {
  const frames: Uint8Array[] = [];
  const closed = new Promise<number>((resolve) => {
    t.onclose = (i) => resolve(i.code);
  });
  t.onframe = (f) => frames.push(f);
  t.start();
  return { frames, closed };
}

describe('refuseConnection', () => {
  it('sends ERROR on request 0, then closes with the close code', async () => {
    const [server, client] = memoryTransportPair();
    const seen = watch(client);
    server.start();
    refuseConnection(server, { code: ErrorCode.FORBIDDEN, message: 'no', closeCode: CloseCode.FORBIDDEN });
    expect(await seen.closed).toBe(CloseCode.FORBIDDEN);
    const frame = decodeFrame(seen.frames[0] ?? new Uint8Array());
    expect([frame.type, frame.requestId]).toEqual([FrameType.ERROR, 0]);
    expect(JSON.parse(new TextDecoder().decode(frame.payload))).toEqual({ code: ErrorCode.FORBIDDEN, message: 'no' });
  });
});

describe('startHandshake', () => {
  const setup = (handshake: (h: ClientHello) => Promise<void>, timeoutMs = 10_000) => {
    const [server, client] = memoryTransportPair();
    const pending = new Set<Transport>();
    const errors: unknown[] = [];
    const seen = watch(client);
    startHandshake(server, { timeoutMs, maxHelloBytes: 1024, pending, handshake, report: (e) => errors.push(e) });
    return { server, client, pending, errors, seen };
  };

  it('hands the first HELLO over once, and the connection leaves `pending` when the handshake is done', async () => {
    const got: ClientHello[] = [];
    let finish = () => {};
    const { client, pending } = setup((h) => {
      got.push(h);
      return new Promise((resolve) => {
        finish = resolve;
      });
    });
    expect(pending.size).toBe(1);
    client.send(helloFrame());
    client.send(helloFrame()); // before the reply: dropped
    await new Promise((resolve) => setImmediate(resolve));
    expect(got).toEqual([hello]);
    expect(pending.size).toBe(1);
    finish();
    await new Promise((resolve) => setImmediate(resolve));
    expect(pending.size).toBe(0);
  });

  it('closes with 4408 when no HELLO comes in time', async () => {
    const { seen, pending } = setup(async () => {}, 20);
    expect(await seen.closed).toBe(CloseCode.HANDSHAKE_TIMEOUT);
    expect(pending.size).toBe(0);
  });

  it('refuses a first frame that is not a HELLO without calling the handshake', async () => {
    let called = false;
    const { client, seen } = setup(async () => {
      called = true;
    });
    client.send(encodeFrame(FrameType.PING, 0, 0, new Uint8Array()));
    expect(await seen.closed).toBe(CloseCode.BAD_FRAME);
    expect(called).toBe(false);
  });

  it('reports a failed handshake and refuses the client with 503, close 4503', async () => {
    const { client, seen, errors } = setup(async () => {
      throw new Error('store down');
    });
    client.send(helloFrame());
    expect(await seen.closed).toBe(CloseCode.SERVER_SHUTDOWN);
    expect(errors).toMatchObject([{ message: 'store down' }]);
    const frame = decodeFrame(seen.frames[0] ?? new Uint8Array());
    expect(JSON.parse(new TextDecoder().decode(frame.payload))).toMatchObject({ code: ErrorCode.UNAVAILABLE });
  });
});

describe('tokens', () => {
  it('compares equal tokens as equal and any difference (place, length) as different', () => {
    const t = randomToken();
    expect(t).toMatch(/^[0-9a-f]{48}$/);
    expect(sameToken(t, `${t}`)).toBe(true);
    expect(sameToken(t, `${t.slice(0, -1)}${t.endsWith('0') ? '1' : '0'}`)).toBe(false);
    expect(sameToken(t, `${t.startsWith('0') ? '1' : '0'}${t.slice(1)}`)).toBe(false);
    expect(sameToken(t, t.slice(0, -1))).toBe(false);
    expect(randomToken()).not.toBe(t);
  });
});
