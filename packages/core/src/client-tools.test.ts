import { describe, expect, it } from 'vitest';
import { defineAgent } from './agent.js';
import { AgentClient } from './client.js';
import { memoryConnector } from './memory-transport.js';
import { AgentServer } from './server.js';
import { tool } from './tool.js';
import type { Transport } from './transport.js';

describe('a client tool list too long for a HELLO (protocol.md §7)', () => {
  it('goes in a TOOL_DEF after the reply, so the HELLO stays within the server limit', async () => {
    const server = new AgentServer(defineAgent({ name: 'host' }));
    const connect = memoryConnector(server);
    let helloBytes = 0;
    const client = new AgentClient({
      // Records the size of the first frame the client sends: its HELLO.
      connect: async (signal) => {
        const t: Transport = await connect(signal);
        const send = t.send.bind(t);
        t.send = (frame) => {
          if (helloBytes === 0) helloBytes = frame.byteLength;
          send(frame);
        };
        return t;
      },
      tools: {
        big: tool({ description: 'x'.repeat(300 * 1024), handler: () => 'ok' }),
        small: tool({ handler: () => 'ok' }),
      },
      reconnect: false,
    });
    await client.connect();
    expect(helloBytes).toBeLessThan(4096);
    await expect
      .poll(() => server.peerOf(client.sessionId ?? '')?.remoteTools.map((t) => t.name).sort(), { timeout: 5000 })
      .toEqual(['big', 'small']);
    await client.close();
    server.close();
  });
});
