import { AgentClient } from '@agentsocket/core';
import { describe, expect, it } from 'vitest';
import type { TransportFixture } from './fixture.js';
import { harness } from './harness.js';
import { until } from './util.js';

export function lifecycleTests(fixture: TransportFixture): void {
  const start = harness(fixture);
  describe('closing', () => {
    it('fails open calls with CLIENT_CLOSED when the client closes', async () => {
      const s = await start();
      const client = await s.client();
      const call = client.invoke('wait', {});
      await call[Symbol.asyncIterator]().next();
      await client.close();
      await expect(call.result).rejects.toMatchObject({ code: 'CLIENT_CLOSED' });
      // A normal close ends the server session at once, interrupting its handlers.
      await until(() => s.probe.interrupted === 1, 'the handler to be interrupted (a close with 1000 ends the session at once: does the transport carry close codes? See "Close codes" in docs/writing-a-transport.md)');
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
