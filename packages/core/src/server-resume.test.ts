import { describe, expect, it } from 'vitest';
import { encodeFrame } from './frame.js';
import type { ClientHello } from './hello.js';
import { MemorySessionStore } from './memory-session-store.js';
import { FrameType } from './opcodes.js';
import { findResumable, type LiveSession, mayResume, newSessionRecord, orphanedRequests, type ResumeCandidate } from './server-resume.js';
import type { SessionRecord, StoredSession } from './session-store.js';

const token = 'a'.repeat(48);
const hello: ClientHello = {
  versions: [1],
  codecs: ['msgpack', 'json'],
  maxFrame: 1 << 20,
  heartbeatMs: 20_000,
  maxInflight: 64,
  resume: { sessionId: 's1', resumeToken: token, lastReceived: 3 },
};
const alice = { id: 'alice' };
const candidate: ResumeCandidate = { codec: 'json', namespace: '/t', resumeToken: token, principalId: 'alice' };

describe('mayResume', () => {
  const cases: Array<[string, Partial<ResumeCandidate>, Partial<ClientHello>, boolean]> = [
    ['everything matches', {}, {}, true],
    ['another resume token', { resumeToken: 'b'.repeat(48) }, {}, false],
    ['a shorter resume token', { resumeToken: token.slice(1) }, {}, false],
    ['another principal', { principalId: 'mallory' }, {}, false],
    ['another namespace', { namespace: '/u' }, {}, false],
    ['a codec the client no longer speaks', {}, { codecs: ['msgpack'] }, false],
    ['no resume in the HELLO', {}, { resume: undefined }, false],
  ];
  it.each(cases)('%s', (_name, c, h, expected) => {
    expect(mayResume({ ...candidate, ...c }, { ...hello, ...h }, '/t', alice)).toBe(expected);
  });
});

const record: SessionRecord = {
  id: 's1',
  resumeToken: token,
  principal: alice,
  namespace: '/t',
  agentId: 'worker',
  codec: 'json',
  peerMaxFrame: 1 << 20,
  peerMaxInflight: 64,
  heartbeatMs: 20_000,
  remoteTools: [],
};

describe('findResumable', () => {
  const live: LiveSession = { codec: { name: 'json' }, ns: '/t', resumeToken: token, principal: alice };

  it('finds the live session the HELLO may resume', async () => {
    expect(await findResumable(hello, '/t', alice, live, undefined)).toEqual({ live });
  });

  it('finds nothing for a live session the HELLO may not resume, without asking the store', async () => {
    const store = new MemorySessionStore();
    await store.create(record);
    expect(await findResumable(hello, '/t', { id: 'mallory' }, live, store)).toBeUndefined();
  });

  it('takes a session this server does not hold from the store, if the HELLO may resume it', async () => {
    const store = new MemorySessionStore();
    await store.create(record);
    expect(await findResumable(hello, '/t', alice, undefined, store)).toMatchObject({ stored: { record } });
    expect(await findResumable(hello, '/other', alice, undefined, store)).toBeUndefined();
    expect(await findResumable({ ...hello, resume: { sessionId: 'gone', resumeToken: token, lastReceived: 0 } }, '/t', alice, undefined, store)).toBeUndefined();
  });

  it('finds nothing without a resume, or without a store for an unknown id', async () => {
    expect(await findResumable({ ...hello, resume: undefined }, '/t', alice, live, undefined)).toBeUndefined();
    expect(await findResumable(hello, '/t', alice, undefined, undefined)).toBeUndefined();
  });
});

describe('orphanedRequests', () => {
  it('lists the busy requests and the INVOKEs about to be replayed, once each', () => {
    const invoke = (rid: number) => encodeFrame(FrameType.INVOKE, 0, rid, new Uint8Array([0x80]));
    const stored: StoredSession = {
      record,
      nextSq: 5,
      lastReceived: 0,
      frames: [
        { sq: 1, frame: invoke(0x8001) },
        { sq: 2, frame: encodeFrame(FrameType.STREAM, 0, 7, new Uint8Array([0x80])) },
        { sq: 3, frame: invoke(0x8002) },
      ],
      incoming: [],
    };
    expect(orphanedRequests(stored, [0x8002, 0x8005])).toEqual([0x8002, 0x8005, 0x8001]);
    expect(orphanedRequests({ ...stored, frames: [] }, undefined)).toEqual([]);
  });
});

describe('newSessionRecord', () => {
  it("takes the HELLO's settings, and the session id as agent id when the HELLO names none", () => {
    const agreed = { namespace: '/t', codec: 'json', heartbeatMs: 15_000 };
    const tools = [{ name: 'echo' }];
    expect(newSessionRecord('s9', token, alice, { ...hello, agent: 'w', tools }, agreed)).toEqual({
      ...record,
      id: 's9',
      agentId: 'w',
      heartbeatMs: 15_000,
      remoteTools: tools,
    });
    expect(newSessionRecord('s9', token, alice, hello, agreed).agentId).toBe('s9');
    expect(newSessionRecord('s9', token, alice, { ...hello, agent: '' }, agreed).agentId).toBe('s9');
  });
});
