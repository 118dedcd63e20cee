import { CloseCode } from '@agentsocket/core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TEST_MAX_BUFFERED_BYTES, type TransportFixture } from './fixture.js';
import { catchEscapes, expectThrowsCode, settle, testFrame, transportPairs, type Watched } from './transport-pair.js';
import { until } from './util.js';

const MiB = 1024 * 1024;

/** Rules 5, 7 and 8 of the Transport seam, on raw transports at both ends. */
export function transportLimitTests(fixture: TransportFixture): void {
  const pair = transportPairs(fixture);
  const ends = ['client', 'server'] as const;
  const other = (end: 'client' | 'server') => (end === 'client' ? 'server' : 'client');
  const bound = fixture.limits?.maxBufferedBytes ?? DEFAULT_TEST_MAX_BUFFERED_BYTES;

  describe('transport limits, at the transport (both ends)', () => {
    for (const end of ends) {
      it(`rule 5: the ${end} end bounds what it buffers for a reader that stops reading: 4429 SLOW_CONSUMER past maxBufferedBytes`, async () => {
        const p = await pair();
        const writer = p[end];
        const reader = p[other(end)];
        const chunkBytes = Math.max(1024, Math.min(MiB, writer.transport.maxFrameBytes - 8, Math.floor(bound / 4)));
        const chunk = testFrame(1, chunkBytes - 8);
        // One synchronous loop: neither this process's reader nor the event loop runs until it ends,
        // so the reader has stopped reading and send() must neither block nor grow without bound.
        const giveUp = 2 * bound + 32 * MiB;
        let sent = 0;
        let peak = 0;
        let refused: unknown;
        while (sent <= giveUp) {
          try {
            writer.transport.send(chunk);
            sent += chunk.byteLength;
            peak = Math.max(peak, writer.transport.bufferedAmount);
          } catch (error) {
            refused = error;
            break;
          }
        }
        const mib = (n: number) => `${(n / MiB).toFixed(1)} MiB`;
        if (refused === undefined) {
          expect.fail(
            `rule 5: the ${end} end accepted ${mib(sent)} for a reader that is not reading (bufferedAmount ${mib(writer.transport.bufferedAmount)}) and neither closed nor refused: ` +
              `past its maxBufferedBytes (${mib(bound)} declared in the fixture's limits) send must close with 4429 SLOW_CONSUMER and throw TRANSPORT_CLOSED`,
          );
        }
        expect(refused, `rule 5: what send threw at the ${end} end once past the bound`).toMatchObject({ name: 'AgentSocketError', code: 'TRANSPORT_CLOSED' });
        expect(peak, `rule 5: bufferedAmount at the ${end} end never reported the backlog`).toBeGreaterThan(0);
        expect(peak, `rule 5: largest bufferedAmount at the ${end} end, against maxBufferedBytes ${mib(bound)} plus one frame`).toBeLessThanOrEqual(
          bound + chunk.byteLength + 64 * 1024,
        );
        expect(writer.transport.open, `rule 5: open at the ${end} end after it refused`).toBe(false);
        expect(await writer.closed(), `rule 5: close info at the ${end} end`).toMatchObject({ code: CloseCode.SLOW_CONSUMER, local: true });
        // The reader reads again: it learns the connection is gone.
        expect((await reader.closed(`the ${other(end)} end to see the connection closed`)).local).toBe(false);
      });
    }

    for (const end of ends) {
      it(`rule 5: the ${end} end, sending once per event-loop turn to a reader that has stopped reading, closes with 4429 once past maxBufferedBytes`, { timeout: 120_000 }, async (context) => {
        const p = await pair();
        const stopReading = p.s.handle.stopReading?.bind(p.s.handle);
        const writer = p[end];
        const reader = p[other(end)];
        if (stopReading === undefined || !stopReading(reader.transport)) {
          context.skip(`the fixture cannot stop the ${other(end)} end's reading`);
          return;
        }
        const chunk = testFrame(3, Math.max(1024, Math.min(64 * 1024, writer.transport.maxFrameBytes - 8)) - 8);
        // The network takes what its buffers hold, then the writer's backlog grows to the bound.
        const giveUp = 2 * bound + 64 * MiB;
        let sent = 0;
        let peak = 0;
        let refused: unknown;
        while (sent <= giveUp) {
          try {
            writer.transport.send(chunk);
            sent += chunk.byteLength;
            peak = Math.max(peak, writer.transport.bufferedAmount);
          } catch (error) {
            refused = error;
            break;
          }
          await new Promise((resolve) => setImmediate(resolve));
        }
        if (refused === undefined) {
          expect.fail(`rule 5: the ${end} end accepted ${(sent / MiB).toFixed(1)} MiB, one frame per turn, for a reader that stopped reading, and neither closed nor refused`);
        }
        expect(refused, `rule 5: what send threw at the ${end} end once past the bound`).toMatchObject({ name: 'AgentSocketError', code: 'TRANSPORT_CLOSED' });
        expect(peak, `rule 5: largest bufferedAmount at the ${end} end, against maxBufferedBytes plus one frame`).toBeLessThanOrEqual(bound + chunk.byteLength + 64 * 1024);
        expect(await writer.closed(), `rule 5: close info at the ${end} end`).toMatchObject({ code: CloseCode.SLOW_CONSUMER, local: true });
      });
    }

    for (const end of ends) {
      it(`rule 5: the ${end} end never cuts a reader that keeps up, however much passes in all (the bound is on the backlog)`, { timeout: 120_000 }, async () => {
        const p = await pair();
        const writer = p[end];
        const reader = p[other(end)];
        const chunk = testFrame(2, Math.max(1024, Math.min(256 * 1024, writer.transport.maxFrameBytes - 8, Math.floor(bound / 8))) - 8);
        const total = 2 * bound;
        let sent = 0;
        let count = 0;
        while (sent < total) {
          // A sender that watches bufferedAmount, as core's flow control does, keeps well under the bound.
          await until(() => writer.transport.bufferedAmount + chunk.byteLength <= bound / 2 || !writer.transport.open, `the ${end} end's backlog to drain`, 30_000);
          writer.transport.send(chunk);
          sent += chunk.byteLength;
          count++;
        }
        await reader.received(count, `rule 5: all ${count} frames at the ${other(end)} end`);
        expect(writer.closes, `rule 5: closes at the ${end} end while its reader kept up`).toEqual([]);
        expect(writer.transport.open).toBe(true);
      });
    }

    for (const end of ends) {
      it(`rule 7: send throws FRAME_TOO_LARGE for a frame over maxFrameBytes, synchronously, and the ${end} end stays open`, async (context) => {
        // Small limits, so that a server transport that takes its limit from core's has a small one.
        const p = await pair({ server: { maxFrameBytes: 64 * 1024 } });
        const writer = p[end];
        const reader = p[other(end)];
        const max = writer.transport.maxFrameBytes;
        if (!Number.isFinite(max)) context.skip('maxFrameBytes is Infinity: this end carries any frame');
        if (max > 256 * MiB) context.skip(`maxFrameBytes ${max} is too large to allocate a frame over it in a test`);
        expectThrowsCode(() => writer.transport.send(testFrame(9, max + 1 - 8)), 'FRAME_TOO_LARGE', `rule 7: send of ${max + 1} bytes at the ${end} end (maxFrameBytes ${max})`);
        expect(writer.transport.open, `rule 7: open at the ${end} end after FRAME_TOO_LARGE`).toBe(true);
        const small = testFrame(10, 100);
        writer.transport.send(small);
        await reader.received(1, `rule 7: the frame sent after FRAME_TOO_LARGE at the ${other(end)} end`);
        await settle();
        expect(reader.frames.map((f) => f.byteLength), `rule 7: the oversized frame must not be sent, the next one must`).toEqual([small.byteLength]);
        expect(reader.closes).toEqual([]);
      });
    }

    for (const end of ends) {
      it(`rule 8: a throwing onframe at the ${end} end ends at most that connection, never the process`, async () => {
        const bystander = await pair();
        const p = await pair();
        const receiver = p[end];
        const sender = p[other(end)];
        const escaped = await catchEscapes(async () => {
          let calls = 0;
          receiver.transport.onframe = () => {
            calls++;
            throw new Error('a bug in the frame handler');
          };
          receiver.transport.onclose = (info) => {
            receiver.closes.push(info);
            throw new Error('a bug in the close handler');
          };
          sender.transport.send(testFrame(1, 10));
          await until(() => calls > 0, `the frame at the ${end} end`);
          await settle(100);
          await receiver.transport.close();
          await settle(50);
        });
        expect(escaped.map(String), `rule 8: errors that escaped the ${end} end's callbacks into the process`).toEqual([]);
        expect(receiver.closes.length, `rule 3: onclose calls at the ${end} end`).toBe(1);
        // Other connections are untouched.
        bystander.client.transport.send(testFrame(2, 10));
        bystander.server.transport.send(testFrame(3, 10));
        await bystander.server.received(1);
        await bystander.client.received(1);
      });
    }

    for (const end of ends) {
      it.skipIf(fixture.limits?.cannotSendRawBytes === true)(
        `rule 8: bytes that are not a whole frame reach the ${end} end as they are, or end only that connection`,
        async () => {
          const p = await pair();
          const receiver: Watched = p[end];
          const sender: Watched = p[other(end)];
          const bytes = new Uint8Array([0x12, 0x00, 0x00]);
          const escaped = await catchEscapes(async () => {
            sender.transport.send(bytes);
            await until(() => receiver.frames.length > 0 || receiver.closes.length > 0, `the bytes or a close at the ${end} end`);
            await settle();
          });
          expect(escaped.map(String), `rule 8: errors that escaped into the process`).toEqual([]);
          if (receiver.frames.length > 0) expect([...(receiver.frames[0] ?? [])], `rule 8: bytes delivered at the ${end} end`).toEqual([...bytes]);
        },
      );
    }
  });
}
