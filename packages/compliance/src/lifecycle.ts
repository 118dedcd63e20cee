import { AgentClient, AgentSocketError, encodeFrame, FrameType } from '@agentsocket/core';
import { describe, expect, it } from 'vitest';
import type { TransportFixture } from './fixture.js';
import { harness } from './harness.js';
import { RawPeer } from './raw.js';
import { until } from './util.js';

export function lifecycleTests(fixture: TransportFixture): void {
  const start = harness(fixture);
  describe('transport rules and closing', () => {
    it('fires onclose exactly once and rejects send after close', async () => {
      const s = await start();
      const transport = await s.handle.connector()(new AbortController().signal);
      let closes = 0;
      transport.onclose = () => closes++;
      transport.onframe = () => {};
      transport.start();
      await Promise.all([transport.close(), transport.close()]);
      await transport.close();
      expect(closes).toBe(1);
      expect(transport.open).toBe(false);
      expect(() => transport.send(new Uint8Array(8))).toThrow(AgentSocketError);
      try {
        transport.send(new Uint8Array(8));
      } catch (error) {
        expect(error).toMatchObject({ code: 'TRANSPORT_CLOSED' });
      }
    });

    it('fires onclose once on the client when the server drops the connection', async () => {
      const s = await start();
      const raw = await RawPeer.handshake(s.handle.connector());
      await s.handle.dropConnections();
      const info = await raw.peer.closed;
      expect(info.local).toBe(false);
      expect(raw.peer.transport.open).toBe(false);
    });

    it('loses nothing that arrives before start()', async () => {
      const s = await start();
      const transport = await s.handle.connector()(new AbortController().signal);
      const hello = new TextEncoder().encode(JSON.stringify({ v: [1], codecs: ['msgpack'] }));
      const received: number[] = [];
      transport.onframe = (bytes) => received.push(bytes[0] ?? 0);
      transport.send(encodeFrame(FrameType.HELLO, 0, 0, hello));
      // The reply is in flight or already buffered; start late and it must still arrive.
      await new Promise<void>((resolve) => s.handle.server.on('session', () => resolve()));
      await new Promise((resolve) => setTimeout(resolve, 20));
      transport.start();
      await until(() => received.length > 0, 'the buffered HELLO reply');
      expect((received[0] ?? 0) & 0x0f).toBe(FrameType.HELLO);
      await transport.close();
    });

    it('fails open calls with CLIENT_CLOSED when the client closes', async () => {
      const s = await start();
      const client = await s.client();
      const call = client.invoke('wait', {});
      await call[Symbol.asyncIterator]().next();
      await client.close();
      await expect(call.result).rejects.toMatchObject({ code: 'CLIENT_CLOSED' });
      // A normal close ends the server session at once, interrupting its handlers.
      await until(() => s.probe.interrupted === 1, 'the handler to be interrupted');
      expect(s.handle.server.sessionCount).toBe(0);
    });

    it('tells clients to go away when the server closes; they stop with a clear error', async () => {
      const s = await start();
      const client = new AgentClient({
        connect: s.handle.connector(),
        reconnect: { initialMs: 1, maxMs: 5, maxAttempts: 2 },
      });
      await client.connect();
      const call = client.invoke('wait', {});
      await call[Symbol.asyncIterator]().next();
      s.handle.server.close();
      const error = await call.result.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      await client.close();
    });
  });
}
