import { AgentClient, CloseCode, ErrorCode } from '@agentsocket/core';
import { Flag, FrameType } from '@agentsocket/core/transport';
import { describe, expect, it } from 'vitest';
import type { TransportFixture } from './fixture.js';
import { harness } from './harness.js';
import { RawPeer } from './raw.js';
import { gate, holdable, until, expectCloseCode } from './util.js';

export function reliabilityTests(fixture: TransportFixture): void {
  const start = harness(fixture);
  describe('resume and delivery guarantees', () => {
    it('resumes a stream cut by a dropped connection: nothing lost, nothing duplicated', async () => {
      const s = await start();
      const client = await s.client();
      const resumed = new Promise<boolean>((resolve) => {
        client.on('connect', (info) => {
          if (info.resumed) resolve(true);
        });
      });
      const n = 3000;
      const call = client.invoke('count', { n, every: 10 });
      const seen: unknown[] = [];
      let dropped = false;
      for await (const c of call) {
        seen.push(c);
        if (!dropped && seen.length === 500) {
          dropped = true;
          await s.handle.dropConnections();
        }
      }
      expect(await resumed).toBe(true);
      expect(seen).toEqual(Array.from({ length: n }, (_, i) => i));
      expect((await call.result).value).toEqual({ total: n });
    });

    it('holds calls made while disconnected and delivers them after the resume, in order', async () => {
      const s = await start();
      const connector = holdable(s.handle.connector());
      const client = await s.client({ connect: connector });
      connector.hold();
      const disconnected = new Promise<void>((resolve) => client.on('disconnect', () => resolve()));
      await s.handle.dropConnections();
      await disconnected;
      const calls = Array.from({ length: 50 }, (_, i) => client.invoke('echo', { i }).result);
      connector.release();
      const results = await Promise.all(calls);
      expect(results.map((r) => (r.value as { i: number }).i)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    });

    it('resumes in the server → client direction too (an agent question asked across a drop)', async () => {
      const s = await start();
      const answered = gate();
      let asked = 0;
      const client = await s.client({
        tools: {
          clarify: {
            handler: async () => {
              asked++;
              await answered.wait;
              return 'after the drop';
            },
          },
        },
      });
      const call = client.invoke('ask', {});
      await until(() => asked === 1, 'the agent to ask');
      await s.handle.dropConnections();
      answered.open();
      expect((await call.result).value).toEqual({ answer: 'after the drop' });
      expect(asked).toBe(1);
    });

    it('exactly-once: a retried INVOKE whose session was lost does not run twice', async () => {
      const s = await start({ sessionTtlMs: 1 });
      const release = gate();
      s.probe.gateWait = release.wait;
      const connector = holdable(s.handle.connector());
      const client = await s.client({ connect: connector });
      const call = client.invoke('gated', { key: 'once' }, { delivery: 'exactly-once' });
      await until(() => s.probe.runs.get('once') === 1, 'the handler to start');
      const sessionEnded = new Promise<void>((resolve) => s.handle.server.on('sessionEnd', () => resolve()));
      connector.hold();
      await s.handle.dropConnections();
      release.open(); // completes while nobody can receive it
      await sessionEnded; // the session (and its replay buffer) is gone
      const reconnected = new Promise<boolean>((resolve) => client.on('connect', (info) => resolve(info.resumed)));
      connector.release();
      expect(await reconnected).toBe(false);
      expect((await call.result).value).toEqual({ key: 'once', runs: 1 });
      expect(s.probe.runs.get('once')).toBe(1);
    });

    it('at-least-once: the same lost session makes the retried INVOKE run again', async () => {
      const s = await start({ sessionTtlMs: 1 });
      const release = gate();
      s.probe.gateWait = release.wait;
      const connector = holdable(s.handle.connector());
      const client = await s.client({ connect: connector });
      const call = client.invoke('gated', { key: 'twice' }, { delivery: 'at-least-once' });
      await until(() => s.probe.runs.get('twice') === 1, 'the handler to start');
      const sessionEnded = new Promise<void>((resolve) => s.handle.server.on('sessionEnd', () => resolve()));
      connector.hold();
      await s.handle.dropConnections();
      release.open();
      await sessionEnded;
      connector.release();
      expect((await call.result).value).toEqual({ key: 'twice', runs: 2 });
    });

    it('at-most-once: a call cut by a drop fails at once with CONNECTION_LOST', async () => {
      const s = await start();
      const client = await s.client();
      const call = client.invoke('wait', {}, { delivery: 'at-most-once' });
      const first = call[Symbol.asyncIterator]();
      expect((await first.next()).value).toBe('started');
      await s.handle.dropConnections();
      await expect(call.result).rejects.toMatchObject({ code: 'CONNECTION_LOST' });
    });

    it('gives up after maxAttempts and fails open calls', async () => {
      const s = await start();
      const connector = holdable(s.handle.connector());
      const client = new AgentClient({ connect: connector, reconnect: { initialMs: 1, maxMs: 2, maxAttempts: 3 } });
      await client.connect();
      const call = client.invoke('wait', {});
      const first = call[Symbol.asyncIterator]();
      await first.next();
      connector.hold();
      await s.handle.dropConnections();
      await expect(call.result).rejects.toMatchObject({ code: 'CONNECTION_LOST' });
      await client.close();
    });

  describe('acknowledgements carried by other frames (piggyback)', () => {
    it('agrees when offered, and an ack inside an INVOKE releases the frames it covers', async () => {
      const s = await start();
      const { peer, hello } = await RawPeer.handshake(s.handle.connector(), undefined, { piggyback: true });
      expect(hello.piggyback).toBe(true);
      const sqs: number[] = [];
      for (let i = 1; i <= 4; i++) {
        // The fourth INVOKE acknowledges the first two COMPLETEs, and sends no ACK frame.
        const ack = i === 4 ? { ack: sqs[1] } : {};
        peer.send(FrameType.INVOKE, Flag.RELIABLE, i, { id: `01J00000000000000000000PB${i}`, tool: 'echo', args: { i }, dl: 1, sq: i, ...ack });
        const done = await peer.next((f) => f.type === FrameType.COMPLETE && f.requestId === i);
        sqs.push(Number(peer.decode(done)['sq']));
      }
      // Dropped, not closed (a normal close ends the session).
      await peer.transport.close(CloseCode.GOING_AWAY, 'dropped');
      // Resume reporting nothing received: the server replays only what the carried ack did not cover.
      const again = await RawPeer.handshake(s.handle.connector(), undefined, {
        resume: { sessionId: hello.sessionId, resumeToken: hello.resumeToken, lastReceived: 0 },
      });
      expect({ resumed: again.hello.resumed, sid: again.hello.sessionId }).toEqual({ resumed: true, sid: hello.sessionId });
      const replayed = [await again.peer.next((f) => f.type === FrameType.COMPLETE), await again.peer.next((f) => f.type === FrameType.COMPLETE)];
      expect(replayed.map((f) => f.requestId)).toEqual([3, 4]);
      expect(replayed.map((f) => Number(again.peer.decode(f)['sq']))).toEqual([sqs[2], sqs[3]]);
      await again.peer.close();
    });

    it('without the agreement, an ack field is an unknown field and ignored', async () => {
      const s = await start();
      const { peer, hello } = await RawPeer.handshake(s.handle.connector());
      expect(hello.piggyback).toBeUndefined();
      peer.send(FrameType.INVOKE, 0, 5, { id: '01J00000000000000000000PBX', tool: 'echo', args: { ok: 1 }, dl: 0, ack: 'not a number' });
      const done = await peer.next((f) => f.requestId === 5);
      expect(done.type).toBe(FrameType.COMPLETE);
      expect(peer.decode(done)['result']).toEqual({ ok: 1 });
      await peer.close();
    });

    it('takes a nil ack as absent, and answers one that is not an unsigned integer with ERROR 400 and close 4400', async () => {
      const s = await start();
      const { peer } = await RawPeer.handshake(s.handle.connector(), undefined, { piggyback: true });
      // A nil ack is an absent one.
      peer.send(FrameType.INVOKE, 0, 5, { id: '01J00000000000000000000PBZ', tool: 'echo', args: { nil: 1 }, dl: 0, ack: null });
      expect(peer.decode(await peer.next((f) => f.requestId === 5))['result']).toEqual({ nil: 1 });
      peer.send(FrameType.INVOKE, 0, 6, { id: '01J00000000000000000000PBY', tool: 'echo', args: {}, dl: 0, ack: -1 });
      const err = await peer.next((f) => f.type === FrameType.ERROR);
      expect(err.requestId).toBe(0);
      expect(peer.decode(err)).toMatchObject({ code: ErrorCode.BAD_FRAME });
      expectCloseCode(await peer.closed, CloseCode.BAD_FRAME);
      // Nobody else noticed.
      const client = await s.client();
      expect((await client.invoke('echo', { still: 'fine' }).result).value).toEqual({ still: 'fine' });
    });
  });
  });
}
