import { CloseCode } from '@agentsocket/core';
import { describe, expect, it } from 'vitest';
import type { TransportFixture } from './fixture.js';
import { expectThrowsCode, frameNumber, settle, testFrame, transportPairs, turns, type Watched } from './transport-pair.js';

const GUIDE = 'docs/writing-a-transport.md';

/** Frames 0..count-1 of mixed sizes, `perTurn` of them per event-loop turn. */
async function sendNumbered(from: Watched, count: number, perTurn: number, maxFrameBytes: number): Promise<Uint8Array[]> {
  const sizes = [0, 1, 7, 100, 1000, 5000, 40_000].filter((n) => n + 8 <= maxFrameBytes);
  const sent: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const frame = testFrame(i, sizes[i % sizes.length] ?? 0);
    sent.push(frame);
    from.transport.send(frame);
    if (i % perTurn === perTurn - 1) await turns(1);
  }
  return sent;
}

function expectSameFrames(got: Uint8Array[], sent: Uint8Array[], where: string): void {
  expect(got.length, `${where}: frames delivered (rule 1: each exactly once)`).toBe(sent.length);
  for (let i = 0; i < sent.length; i++) {
    const g = got[i] as Uint8Array;
    const s = sent[i] as Uint8Array;
    if (g.byteLength !== s.byteLength || !Buffer.from(g).equals(Buffer.from(s))) {
      expect.fail(
        `${where}: frame ${i} arrived as ${g.byteLength} bytes numbered ${g.byteLength >= 8 ? frameNumber(g) : '?'}, sent as ${s.byteLength} bytes (rule 1: in order, never split or merged)`,
      );
    }
  }
}

/** Rules 1, 2, 3, 4 and 6 of the Transport seam, and close codes, on raw transports at both ends. */
export function transportRuleTests(fixture: TransportFixture): void {
  const pair = transportPairs(fixture);
  const ends = ['client', 'server'] as const;
  const other = (end: 'client' | 'server') => (end === 'client' ? 'server' : 'client');

  describe('transport rules, at the transport (both ends)', () => {
    for (const batching of [false, true]) {
      it(`rule 1: delivers frames in order, each exactly once, never split or merged, both ways${batching ? ' (with enableBatching)' : ''}`, async () => {
        const p = await pair();
        if (batching) {
          p.client.transport.enableBatching?.();
          p.server.transport.enableBatching?.();
        }
        const max = Math.min(p.client.transport.maxFrameBytes, p.server.transport.maxFrameBytes);
        const [up, down] = await Promise.all([sendNumbered(p.client, 2000, 50, max), sendNumbered(p.server, 2000, 50, max)]);
        await p.server.received(up.length);
        await p.client.received(down.length);
        await settle();
        expectSameFrames(p.server.frames, up, 'client → server');
        expectSameFrames(p.client.frames, down, 'server → client');
      });
    }

    for (const end of ends) {
      it(`rule 2: loses nothing that arrives before start() (${end} end)`, async () => {
        const p = await pair({ start: false });
        const receiver = p[end];
        const sender = p[other(end)];
        sender.transport.start();
        const sent = await sendNumbered(sender, 20, 5, Math.min(sender.transport.maxFrameBytes, receiver.transport.maxFrameBytes));
        await settle(100);
        expect(receiver.frames, `rule 2: the ${end} end delivered frames before start()`).toEqual([]);
        receiver.transport.start();
        receiver.transport.start(); // idempotent
        await receiver.received(sent.length, `rule 2: the ${sent.length} frames sent before start() at the ${end} end`);
        await settle();
        expectSameFrames(receiver.frames, sent, `before start(), at the ${end} end`);
      });
    }

    for (const end of ends) {
      it(`rule 3: onclose fires exactly once at both ends when the ${end} end closes, and no onframe after it`, async () => {
        const p = await pair();
        const closer = p[end];
        const peer = p[other(end)];
        // Frames in flight towards the closer when it closes must not reach its onframe afterwards.
        for (let i = 0; i < 50; i++) peer.transport.send(testFrame(i, 100));
        const closing = [closer.transport.close(), closer.transport.close()];
        await Promise.all(closing);
        await peer.closed(`rule 3: onclose at the ${other(end)} end after the ${end} end closed`);
        await closer.transport.close();
        await peer.transport.close();
        await settle(100);
        for (const w of [closer, peer]) {
          expect(w.closes.length, `rule 3: onclose calls at the ${w.end} end`).toBe(1);
          expect(w.events.slice(w.events.indexOf('close') + 1), `rule 3: onframe after onclose at the ${w.end} end`).toEqual([]);
        }
        expect(closer.closes[0]?.local, `rule 3: local at the ${end} end, which called close()`).toBe(true);
        expect(peer.closes[0]?.local, `rule 3: local at the ${other(end)} end, which did not`).toBe(false);
      });
    }

    it('rule 3: onclose fires exactly once at both ends when both close at once', async () => {
      const p = await pair();
      await Promise.all([p.client.transport.close(), p.server.transport.close()]);
      await settle(100);
      expect(p.client.closes.length, 'rule 3: onclose calls at the client end').toBe(1);
      expect(p.server.closes.length, 'rule 3: onclose calls at the server end').toBe(1);
    });

    it('rule 3: onclose fires exactly once at the client when the server drops the connection (dropConnections)', async () => {
      const p = await pair();
      await p.s.handle.dropConnections();
      const info = await p.client.closed('rule 3: onclose at the client end after dropConnections()');
      expect(info.local, 'rule 3: a dropped connection is not local at the client').toBe(false);
      expect(p.client.transport.open).toBe(false);
      await settle(100);
      expect(p.client.closes.length, 'rule 3: onclose calls at the client end').toBe(1);
    });

    for (const end of ends) {
      it(`rule 4: send throws TRANSPORT_CLOSED synchronously after close, at either end (${end} end closes)`, async () => {
        const p = await pair();
        const closer = p[end];
        const peer = p[other(end)];
        const closing = closer.transport.close();
        expect(closer.transport.open, `rule 4: open at the ${end} end right after close()`).toBe(false);
        expectThrowsCode(() => closer.transport.send(testFrame(1, 1)), 'TRANSPORT_CLOSED', `rule 4: send at the ${end} end right after its close()`);
        await closing;
        await peer.closed();
        expect(peer.transport.open, `rule 4: open at the ${other(end)} end after its onclose`).toBe(false);
        expectThrowsCode(() => peer.transport.send(testFrame(1, 1)), 'TRANSPORT_CLOSED', `rule 4: send at the ${other(end)} end after its onclose`);
      });

      it(`rule 4: every frame sent before close() reaches the other end before its onclose (${end} end closes)`, async () => {
        const p = await pair();
        const closer = p[end];
        const peer = p[other(end)];
        const sent = await sendNumbered(closer, 100, 100, Math.min(closer.transport.maxFrameBytes, peer.transport.maxFrameBytes));
        await closer.transport.close(CloseCode.NORMAL, 'done');
        await peer.closed();
        expectSameFrames(peer.frames, sent, `sent before close() by the ${end} end`);
        expect(peer.events.at(-1), 'onclose comes after the frames').toBe('close');
      });
    }

    for (const end of ends) {
      it(`rule 6: close() is idempotent and resolves once onclose has fired (${end} end)`, async () => {
        const p = await pair();
        const w = p[end];
        const first = w.transport.close().then(() => w.closes.length);
        const second = w.transport.close().then(() => w.closes.length);
        expect(await first, `rule 6: onclose had fired when the first close() at the ${end} end resolved`).toBe(1);
        expect(await second, `rule 6: onclose had fired when the second close() at the ${end} end resolved`).toBe(1);
        await w.transport.close();
        await p[other(end)].closed();
        // close() on an end the other side already closed resolves too.
        await p[other(end)].transport.close();
        expect(p[other(end)].closes.length).toBe(1);
      });
    }

    for (const end of ends) {
      it(`close codes: the code and reason given to close() reach the other end (${end} end closes)`, async () => {
        const p = await pair();
        const closer = p[end];
        const peer = p[other(end)];
        await closer.transport.close(CloseCode.FORBIDDEN, 'not your room');
        const remote = await peer.closed();
        const hint = `a transport must carry the close code and reason across (see "Close codes" in ${GUIDE}); core's 4xxx codes tell the client why it was closed`;
        expect(closer.closes[0], `close info at the ${end} end, which closed`).toEqual({ code: CloseCode.FORBIDDEN, reason: 'not your room', local: true });
        expect(remote, `close info at the ${other(end)} end: ${hint}`).toEqual({ code: CloseCode.FORBIDDEN, reason: 'not your room', local: false });
      });
    }

    it('close codes: close() without a code is 1000 at both ends', async () => {
      const p = await pair();
      await p.client.transport.close();
      const remote = await p.server.closed();
      expect(p.client.closes[0]?.code, 'close code at the client, which closed').toBe(CloseCode.NORMAL);
      expect(remote.code, `close code at the server end (see "Close codes" in ${GUIDE})`).toBe(CloseCode.NORMAL);
    });
  });
}
