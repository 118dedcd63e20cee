import { describe, expect, it } from 'vitest';
import { AgentClient, AgentServer, defineAgent, MemoryDedupStore, memoryConnector, tool } from '../src/index.js';

describe('exactly-once records are bounded by bytes', () => {
  it('keeps no chunk list past 1 MiB per outcome: 20 calls streaming 1000 × 4 KiB keep kilobytes, not 80 MB; 200 × 4 KiB are kept', async () => {
    const chunk = 'c'.repeat(4096);
    const agent = defineAgent({
      name: 'bytes',
      tools: {
        stream: tool({
          input: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] },
          async *handler(args) {
            for (let i = 0; i < Number(args['n']); i++) yield chunk;
            return 'done';
          },
        }),
      },
    });
    const dedup = new MemoryDedupStore();
    const server = new AgentServer(agent, { dedup });
    const client = new AgentClient({ connect: memoryConnector(server) });
    await client.connect();
    const calls = Array.from({ length: 20 }, () => client.invoke('stream', { n: 1000 }, { delivery: 'exactly-once' }));
    for (const call of calls) {
      let n = 0;
      for await (const _ of call) n++;
      expect(n).toBe(1000);
      expect((await call.result).value).toBe('done');
    }
    expect(dedup.size).toBe(20);
    // Past 1 MiB of chunks an outcome keeps the result only (a retry gets the COMPLETE without them).
    expect(dedup.byteSize).toBeLessThan(64 * 1024);
    const small = client.invoke('stream', { n: 200 }, { delivery: 'exactly-once' });
    for await (const _ of small) {
      // drained
    }
    await small.result;
    expect(dedup.byteSize).toBeGreaterThan(200 * 4096);
    expect(dedup.byteSize).toBeLessThan(200 * 4096 + 128 * 1024);
    await client.close();
    server.close();
    await dedup.close();
  });
});
