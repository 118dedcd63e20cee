import {
  AgentClient,
  CloseCode,
  ErrorCode,
  ProtocolError,
} from '@agentsocket/core';
import { encodeFrame, FrameType } from '@agentsocket/core/transport';
import { describe, expect, it } from 'vitest';
import type { TransportFixture } from './fixture.js';
import { harness } from './harness.js';
import { RawPeer } from './raw.js';
import { expectCloseCode } from './util.js';

export function handshakeTests(fixture: TransportFixture): void {
  const start = harness(fixture);
  describe('handshake and negotiation', () => {
    it('exchanges HELLO: agent name, version, tools, session id', async () => {
      const s = await start();
      const client = await s.client();
      expect(client.agent).toEqual({ name: 'compliance', version: '1.0.0' });
      expect(client.tools.map((t) => t.name)).toContain('echo');
      expect(client.tools.find((t) => t.name === 'count')?.inputSchema).toMatchObject({ type: 'object' });
      expect(client.sessionId).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    });

    it('negotiates the JSON codec when the client offers only JSON', async () => {
      const s = await start();
      const client = await s.client({ codecs: ['json'] });
      const r = await client.invoke('echo', { text: 'über', n: [1, 2] }).result;
      expect(r.value).toEqual({ text: 'über', n: [1, 2] });
    });

    it('refuses a codec it does not speak with 415', async () => {
      const s = await start({ codecs: ['msgpack'] });
      const client = new AgentClient({ connect: s.handle.connector(), codecs: ['cbor'], reconnect: false });
      await expect(client.connect()).rejects.toMatchObject({ name: 'ProtocolError', code: ErrorCode.UNSUPPORTED_CODEC });
    });

    it('refuses an unsupported protocol version with 426 and close 4426', async () => {
      const s = await start();
      const raw = await RawPeer.open(s.handle.connector());
      const hello = new TextEncoder().encode(JSON.stringify({ v: [99], codecs: ['msgpack'] }));
      raw.sendBytes(encodeFrame(FrameType.HELLO, 0, 0, hello));
      const err = await raw.next((f) => f.type === FrameType.ERROR);
      expect(JSON.parse(new TextDecoder().decode(err.payload))).toMatchObject({ code: ErrorCode.UNSUPPORTED_VERSION });
      expectCloseCode(await raw.closed, CloseCode.UNSUPPORTED_VERSION);
    });

    it('authenticates a token sent in HELLO and refuses a bad one with 401', async () => {
      const s = await start({
        authenticate: (token) => (token === 'secret' ? { id: 'alice' } : undefined),
      });
      const good = new AgentClient({ connect: s.handle.connector(), token: 'secret', reconnect: false });
      await good.connect();
      expect((await good.invoke('echo', { ok: true }).result).value).toEqual({ ok: true });
      await good.close();
      const bad = new AgentClient({ connect: s.handle.connector(), token: 'wrong', reconnect: false });
      const error = await bad.connect().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProtocolError);
      expect(error).toMatchObject({ code: ErrorCode.UNAUTHORIZED });
    });

    it('refuses an agent id longer than maxAgentIdLength with 400 and close 4400', async () => {
      const s = await start({ maxAgentIdLength: 64 });
      const ok = await s.client({ name: 'a'.repeat(64), namespace: '/ids' });
      expect(ok.team?.agentId).toBe('a'.repeat(64));
      const raw = await RawPeer.open(s.handle.connector({ namespace: '/ids' }));
      const hello = { v: [1], codecs: ['msgpack'], ns: '/ids', agent: 'b'.repeat(65) };
      raw.sendBytes(encodeFrame(FrameType.HELLO, 0, 0, new TextEncoder().encode(JSON.stringify(hello))));
      const err = await raw.next((f) => f.type === FrameType.ERROR);
      expect(JSON.parse(new TextDecoder().decode(err.payload))).toMatchObject({ code: ErrorCode.BAD_FRAME, message: expect.stringContaining('65 characters') });
      expectCloseCode(await raw.closed, CloseCode.BAD_FRAME);
      expect(await ok.members()).toEqual(['a'.repeat(64)]);
    });

    it('refuses a principal a session beyond maxSessionsPerPrincipal with 429 and close 4503; resumes and other principals pass', async () => {
      const s = await start({ maxSessionsPerPrincipal: 2, authenticate: (token) => (token ? { id: token } : undefined) });
      const first = await s.client({ token: 'alice' });
      await s.client({ token: 'alice' });
      const raw = await RawPeer.open(s.handle.connector({ token: 'alice' }));
      const hello = { v: [1], codecs: ['msgpack'], token: 'alice' };
      raw.sendBytes(encodeFrame(FrameType.HELLO, 0, 0, new TextEncoder().encode(JSON.stringify(hello))));
      const err = await raw.next((f) => f.type === FrameType.ERROR);
      expect(JSON.parse(new TextDecoder().decode(err.payload))).toMatchObject({ code: ErrorCode.TOO_MANY_REQUESTS });
      expectCloseCode(await raw.closed, CloseCode.SERVER_SHUTDOWN);
      await s.client({ token: 'bob' });
      // A dropped session still counts, and resuming it is not a new session.
      const resumed = new Promise<boolean>((resolve) => first.on('connect', (info) => resolve(info.resumed)));
      await first.dropConnection();
      expect(await resumed).toBe(true);
      // Ending a session frees its place.
      await first.close();
      const again = await s.client({ token: 'alice' });
      expect(again.connected).toBe(true);
    });

    it('refuses a HELLO larger than maxHelloBytes with 413 and close 4413, before parsing it', async () => {
      const s = await start({ maxHelloBytes: 4096 });
      const raw = await RawPeer.open(s.handle.connector());
      const hello = { v: [1], codecs: ['msgpack'], token: 'x'.repeat(5000) };
      raw.sendBytes(encodeFrame(FrameType.HELLO, 0, 0, new TextEncoder().encode(JSON.stringify(hello))));
      const err = await raw.next((f) => f.type === FrameType.ERROR);
      expect(JSON.parse(new TextDecoder().decode(err.payload))).toMatchObject({ code: ErrorCode.FRAME_TOO_LARGE });
      expectCloseCode(await raw.closed, CloseCode.FRAME_TOO_LARGE);
      // A HELLO within the limit still gets its session.
      const client = await s.client({ tools: {} });
      expect((await client.invoke('echo', { ok: 1 }).result).value).toEqual({ ok: 1 });
    });

    it('refuses a HELLO nested deeper than 64 levels with 400 and close 4400', async () => {
      const s = await start();
      const raw = await RawPeer.open(s.handle.connector());
      const hello = `{"v":[1],"codecs":["msgpack"],"x":${'['.repeat(65)}${']'.repeat(65)}}`;
      raw.sendBytes(encodeFrame(FrameType.HELLO, 0, 0, new TextEncoder().encode(hello)));
      const err = await raw.next((f) => f.type === FrameType.ERROR);
      expect(JSON.parse(new TextDecoder().decode(err.payload))).toMatchObject({ code: ErrorCode.BAD_FRAME, message: expect.stringMatching(/deeper than 64/) });
      expectCloseCode(await raw.closed, CloseCode.BAD_FRAME);
    });

    it('cuts a 7.6 MiB nested HELLO without a token: 4413, or 1009 / 1006 where the transport counts bytes before the HELLO', async () => {
      const s = await start({ authenticate: (token) => (token === 'secret' ? { id: 'alice' } : undefined) });
      const bystander = await s.client({ token: 'secret' });
      const raw = await RawPeer.open(s.handle.connector());
      const depth = 4_000_000;
      const bomb = new Uint8Array(2 * depth).fill(0x5b, 0, depth).fill(0x5d, depth);
      raw.sendBytes(encodeFrame(FrameType.HELLO, 0, 0, bomb));
      // ws closes with 1009; a Socket.IO server destroys the TCP socket, which its client reports as 1006.
      expectCloseCode(await raw.closed, [CloseCode.FRAME_TOO_LARGE, CloseCode.MESSAGE_TOO_BIG, CloseCode.ABNORMAL_CLOSURE]);
      expect((await bystander.invoke('echo', { still: 'here' }).result).value).toEqual({ still: 'here' });
    });

    it('closes a connection that sends no HELLO in time with 4408', async () => {
      const s = await start({ handshakeTimeoutMs: 50 });
      const raw = await RawPeer.open(s.handle.connector());
      expectCloseCode(await raw.closed, CloseCode.HANDSHAKE_TIMEOUT);
    });
  });
}
