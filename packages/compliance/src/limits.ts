import { AgentSocketError, CloseCode, ErrorCode } from '@agentsocket/core';
import { encodeFrame, Flag, FrameType } from '@agentsocket/core/transport';
import { msgpackCodec } from '@agentsocket/core/internal';
import { describe, expect, it } from 'vitest';
import type { TransportFixture } from './fixture.js';
import { harness } from './harness.js';
import { RawPeer } from './raw.js';
import { expectCloseCode } from './util.js';

const MiB = 1024 * 1024;

export function limitTests(fixture: TransportFixture): void {
  const start = harness(fixture);
  const maxFrame = fixture.limits?.maxFrameBytes ?? Number.POSITIVE_INFINITY;
  describe('limits and bad input', () => {
    it.skipIf(maxFrame < 9 * MiB)('carries an 8 MiB payload both ways', async () => {
      const s = await start();
      const client = await s.client();
      const blob = new Uint8Array(8 * MiB);
      for (let i = 0; i < blob.length; i += 4096) blob[i] = i % 251;
      const r = await client.invoke('echo', { blob }).result;
      const back = (r.value as { blob: Uint8Array }).blob;
      expect(back.byteLength).toBe(blob.byteLength);
      expect(Buffer.from(back).equals(Buffer.from(blob))).toBe(true);
    });

    it('refuses to send a frame over the peer’s limit with a local FRAME_TOO_LARGE error', async () => {
      const s = await start({ maxFrameBytes: 64 * 1024 });
      const client = await s.client();
      const error = await client.invoke('echo', { blob: new Uint8Array(128 * 1024) }).result.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AgentSocketError);
      expect(error).toMatchObject({ code: 'FRAME_TOO_LARGE' });
      expect((await client.invoke('echo', { small: 1 }).result).value).toEqual({ small: 1 });
    });

    it('answers an over-limit frame with ERROR 413 and keeps the connection', async () => {
      const s = await start({ maxFrameBytes: 64 * 1024 });
      const { peer } = await RawPeer.handshake(s.handle.connector());
      peer.send(FrameType.INVOKE, 0, 7, { id: '01J0000000000000000000000A', tool: 'echo', args: { b: new Uint8Array(100 * 1024) }, dl: 0 });
      const err = await peer.next((f) => f.type === FrameType.ERROR);
      expect(err.requestId).toBe(7);
      expect(peer.decode(err)).toMatchObject({ code: ErrorCode.FRAME_TOO_LARGE });
      peer.send(FrameType.INVOKE, 0, 8, { id: '01J0000000000000000000000B', tool: 'echo', args: { ok: 1 }, dl: 0 });
      const done = await peer.next((f) => f.type === FrameType.COMPLETE);
      expect(done.requestId).toBe(8);
      expect(peer.decode(done)).toMatchObject({ result: { ok: 1 } });
      await peer.close();
    });

    it.skipIf(fixture.limits?.cannotSendRawBytes === true)(
      'closes a connection that sends a malformed frame (4400) while other connections keep working',
      async () => {
        const s = await start();
        const bystander = await s.client();
        const { peer } = await RawPeer.handshake(s.handle.connector());
        peer.sendBytes(new Uint8Array([0x12, 0x00, 0x00]));
        const err = await peer.next((f) => f.type === FrameType.ERROR);
        expect(peer.decode(err)).toMatchObject({ code: ErrorCode.BAD_FRAME });
        expectCloseCode(await peer.closed, CloseCode.BAD_FRAME);
        expect((await bystander.invoke('echo', { still: 'here' }).result).value).toEqual({ still: 'here' });
      },
    );

    it('closes a connection whose payload is not valid MessagePack (4400)', async () => {
      const s = await start();
      const bystander = await s.client();
      const { peer } = await RawPeer.handshake(s.handle.connector());
      const header = new Uint8Array([0x12, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0xc1]); // 0xc1 is never used
      peer.sendBytes(header);
      expectCloseCode(await peer.closed, CloseCode.BAD_FRAME);
      expect((await bystander.invoke('echo', { still: 'here' }).result).value).toEqual({ still: 'here' });
    });

    it('closes a connection for 0xc1 or an extension type anywhere in a payload, even on a request id', async () => {
      const s = await start();
      const bystander = await s.client();
      // An INVOKE of echo with args {v: <value>}, the map built by hand around bytes no encoder writes.
      const head = msgpackCodec().encode({ id: '01J0000000000000000000000C', tool: 'echo', dl: 0 });
      const invoke = (value: number[]) => Uint8Array.from([0x84, ...head.subarray(1), 0xa4, 0x61, 0x72, 0x67, 0x73, 0x81, 0xa1, 0x76, ...value]);
      const payloads = {
        'nested 0xc1': [0x92, 0x01, 0xc1],
        'an extension type': [0xd4, 0x01, 0x2a],
        'a Set as msgpackr writes it (extension 0x73)': [0xd4, 0x73, 0x00, 0x91, 0x01],
        'a record definition (extension 0x72)': [0xd4, 0x72, 0x40, 0x91, 0xa1, 0x61, 0x40, 0x01],
        'a timestamp of 2 bytes': [0xd5, 0xff, 0x00, 0x01],
      };
      for (const [what, value] of Object.entries(payloads)) {
        const { peer } = await RawPeer.handshake(s.handle.connector());
        peer.sendBytes(encodeFrame(FrameType.INVOKE, 0, 1, invoke(value)));
        const err = await peer.next((f) => f.type === FrameType.ERROR || f.type === FrameType.COMPLETE);
        expect(err.type, what).toBe(FrameType.ERROR);
        expect(err.requestId, what).toBe(0);
        expect(peer.decode(err), what).toMatchObject({ code: ErrorCode.BAD_FRAME });
        expectCloseCode(await peer.closed, CloseCode.BAD_FRAME, what);
      }
      expect((await bystander.invoke('echo', { still: 'here' }).result).value).toEqual({ still: 'here' });
    });

    it('answers an unknown frame type with ERROR 501 and keeps the connection', async () => {
      const s = await start();
      const { peer } = await RawPeer.handshake(s.handle.connector());
      peer.send(0xe, 0, 9, { anything: true });
      const err = await peer.next((f) => f.type === FrameType.ERROR);
      expect(err.requestId).toBe(9);
      expect(peer.decode(err)).toMatchObject({ code: ErrorCode.UNKNOWN_FRAME_TYPE });
      peer.send(FrameType.PING, 0, 0, { t: 42 });
      const pong = await peer.next((f) => f.type === FrameType.PONG);
      expect(peer.decode(pong)).toEqual({ t: 42 });
      await peer.close();
    });

    it('refuses a TOOL_DEF that takes the tool list past maxClientToolBytes with ERROR 413 on request 0, and keeps the connection', async () => {
      const s = await start({ maxClientToolBytes: 8192 });
      const { peer, hello } = await RawPeer.handshake(s.handle.connector());
      const tool = (name: string) => ({ name, description: 'd'.repeat(3000), inputSchema: { type: 'object' } });
      peer.send(FrameType.TOOL_DEF, Flag.RELIABLE, 0, { id: 'a', tools: [tool('one')], removed: [], sq: 1 });
      peer.send(FrameType.TOOL_DEF, Flag.RELIABLE, 0, { id: 'b', tools: [tool('two')], removed: [], sq: 2 });
      peer.send(FrameType.TOOL_DEF, Flag.RELIABLE, 0, { id: 'c', tools: [tool('three')], removed: [], sq: 3 });
      const err = await peer.next((f) => f.type === FrameType.ERROR);
      expect(err.requestId).toBe(0);
      expect(peer.decode(err)).toMatchObject({ code: ErrorCode.FRAME_TOO_LARGE });
      expect(s.handle.server.peerOf(hello.sessionId)?.remoteTools.map((t) => t.name)).toEqual(['one', 'two']);
      // Replacing within the limit still works, and so does the rest of the session.
      peer.send(FrameType.TOOL_DEF, Flag.RELIABLE, 0, { id: 'd', tools: [tool('three')], removed: ['one', 'two'], sq: 4 });
      peer.send(FrameType.INVOKE, Flag.RELIABLE, 4, { id: 'y', tool: 'echo', args: { fine: true }, sq: 5 });
      const done = await peer.next((f) => f.type === FrameType.COMPLETE);
      expect(peer.decode(done)).toMatchObject({ result: { fine: true } });
      expect(s.handle.server.peerOf(hello.sessionId)?.remoteTools.map((t) => t.name)).toEqual(['three']);
      await peer.close();
    });

    it('answers an INVOKE with a bad shape with ERROR 400 for that request only', async () => {
      const s = await start();
      const { peer } = await RawPeer.handshake(s.handle.connector());
      peer.send(FrameType.INVOKE, 0, 3, { id: 'x', tool: 42, dl: 0 });
      const err = await peer.next((f) => f.type === FrameType.ERROR);
      expect(err.requestId).toBe(3);
      expect(peer.decode(err)).toMatchObject({ code: ErrorCode.BAD_FRAME });
      peer.send(FrameType.INVOKE, Flag.RELIABLE, 4, { id: 'y', tool: 'echo', args: { fine: true }, sq: 1 });
      const done = await peer.next((f) => f.type === FrameType.COMPLETE);
      expect(peer.decode(done)).toMatchObject({ result: { fine: true } });
      await peer.close();
    });
  });
}
