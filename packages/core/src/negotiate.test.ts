import { describe, expect, it } from 'vitest';
import { CloseCode, ErrorCode } from './errors.js';
import type { ClientHello } from './hello.js';
import { negotiate, type ServerOffer } from './negotiate.js';

const hello: ClientHello = { versions: [1], codecs: ['msgpack', 'json'], maxFrame: 1 << 20, heartbeatMs: 20_000, maxInflight: 64 };
const offer: ServerOffer = {
  version: 1,
  codecs: ['msgpack', 'json'],
  heartbeatMs: 30_000,
  batch: true,
  piggyback: true,
  lean: true,
  namespaces: undefined,
  connectionNamespace: undefined,
};
const teams = [{ match: '/alpha' }, { match: /^\/team-\w+$/ }];

type Case = [string, Partial<ClientHello>, Partial<ServerOffer>, Record<string, unknown>];

const agreed: Case[] = [
  ['the defaults', {}, {}, { version: 1, codec: 'msgpack', heartbeatMs: 20_000, namespace: '/', batch: false, piggyback: false, lean: false }],
  ["the client's first codec the server speaks", { codecs: ['cbor', 'json', 'msgpack'] }, {}, { codec: 'json' }],
  ['a version among several', { versions: [3, 1, 2] }, {}, { version: 1 }],
  ["the client's heartbeat when shorter", { heartbeatMs: 1000 }, {}, { heartbeatMs: 1000 }],
  ["the server's heartbeat when the client's is longer", { heartbeatMs: 90_000 }, {}, { heartbeatMs: 30_000 }],
  ["the server's heartbeat when the client proposes 0", { heartbeatMs: 0 }, {}, { heartbeatMs: 30_000 }],
  ['batching when both offer it', { batch: true }, {}, { batch: true }],
  ['no batching when the server (or its transport) does not', { batch: true }, { batch: false }, { batch: false }],
  ['piggybacked acks when both offer them', { piggyback: true }, {}, { piggyback: true }],
  ['no piggybacked acks when the server turns them off', { piggyback: true }, { piggyback: false }, { piggyback: false }],
  ['the lean envelope when both offer it', { lean: true }, {}, { lean: true }],
  ['no lean envelope when the server turns it off', { lean: true }, { lean: false }, { lean: false }],
  ["the HELLO's namespace", { namespace: '/alpha' }, { namespaces: teams }, { namespace: '/alpha' }],
  ["the connection's namespace when HELLO names none", {}, { connectionNamespace: '/team-x', namespaces: teams }, { namespace: '/team-x' }],
  ['the same namespace named twice', { namespace: '/alpha' }, { connectionNamespace: '/alpha', namespaces: teams }, { namespace: '/alpha' }],
];

const refused: Case[] = [
  ['a version the server does not speak', { versions: [2] }, {}, { stage: 'hello', code: ErrorCode.UNSUPPORTED_VERSION, closeCode: CloseCode.UNSUPPORTED_VERSION, message: 'server speaks ASP version 1' }],
  ['no codec in common', { codecs: ['cbor'] }, { codecs: ['json'] }, { stage: 'hello', code: ErrorCode.UNSUPPORTED_CODEC, closeCode: CloseCode.UNSUPPORTED_CODEC, message: 'server speaks json' }],
  ['the version before the codec', { versions: [9], codecs: [] }, {}, { code: ErrorCode.UNSUPPORTED_VERSION }],
  [
    'two different namespaces',
    { namespace: '/alpha' },
    { connectionNamespace: '/team-x', namespaces: teams },
    { stage: 'admission', code: ErrorCode.FORBIDDEN, closeCode: CloseCode.FORBIDDEN, message: 'connected to namespace /team-x but HELLO asks for /alpha' },
  ],
  ['a namespace no rule matches', { namespace: '/beta' }, { namespaces: teams }, { stage: 'admission', code: ErrorCode.FORBIDDEN, message: 'no namespace "/beta" here' }],
  ['a namespace that is not a name', { namespace: 'alpha' }, {}, { stage: 'admission', code: ErrorCode.FORBIDDEN, message: 'no namespace "alpha" here' }],
  ['the root namespace when rules leave it out', {}, { namespaces: teams }, { stage: 'admission', message: 'no namespace "/" here' }],
];

describe('negotiate', () => {
  it.each(agreed)('agrees on %s', (_name, h, o, expected) => {
    const result = negotiate({ ...hello, ...h }, { ...offer, ...o });
    expect(result).toMatchObject({ ok: true, ...expected });
  });

  it.each(refused)('refuses %s', (_name, h, o, expected) => {
    const result = negotiate({ ...hello, ...h }, { ...offer, ...o });
    expect(result).toMatchObject({ ok: false, ...expected });
  });

  it('returns the rule that governs the namespace', () => {
    const result = negotiate({ ...hello, namespace: '/team-x' }, { ...offer, namespaces: teams });
    expect(result.ok && result.rule).toBe(teams[1]);
  });
});
