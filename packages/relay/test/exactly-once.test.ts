import { AgentClient, defineAgent, tool } from '@agentsocket/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelayOverWs } from './fixtures.js';

/** What the function's handler saw, by message id. */
const seen = new Map<string, string>();
const agent = defineAgent({
  name: 'once',
  tools: {
    hold: tool({
      async *handler(_args, ctx) {
        seen.set(ctx.messageId, 'started');
        yield 'started';
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
        seen.set(ctx.messageId, `aborted ${(ctx.signal.reason as { code?: number }).code}`);
      },
    }),
  },
});

let handle: Awaited<ReturnType<typeof startRelayOverWs>>;
beforeAll(async () => {
  handle = await startRelayOverWs(agent);
});
afterAll(() => handle.close());

describe('exactly-once calls through the relay', () => {
  it('INTERRUPT of an exactly-once call reaches the function (POST cancel), though the call outlives a dropped request', async () => {
    const client = new AgentClient({ connect: handle.connector() });
    await client.connect();
    try {
      const abort = new AbortController();
      const call = client.invoke('hold', {}, { delivery: 'exactly-once', signal: abort.signal });
      for await (const chunk of call) {
        expect(chunk).toBe('started');
        abort.abort();
        break;
      }
      await expect(call.result).rejects.toMatchObject({ code: 499 });
      await expect.poll(() => seen.get(call.messageId), { timeout: 5_000 }).toBe('aborted 499');
    } finally {
      await client.close();
    }
  });
});
