import { describe, expect, it } from 'vitest';
import { AgentClient, AgentServer, type Connector, defineAgent, memoryConnector, type TeamMessage, tool } from '../src/index.js';

/** A connector a test can hold shut, so a dropped client stays dropped until released. */
function holdable(connector: Connector): Connector & { hold(): void; release(): void } {
  let held = false;
  const connect: Connector = async (signal) => {
    if (held) throw new Error('held shut by the test');
    return connector(signal);
  };
  return Object.assign(connect, {
    hold: () => {
      held = true;
    },
    release: () => {
      held = false;
    },
  });
}

describe('bytes kept by dropped sessions', () => {
  it('ends the longest-dropped sessions early once they keep more than maxRetainedReplayBytes together', async () => {
    const server = new AgentServer(defineAgent({ name: 'r', tools: { ok: tool({ handler: () => 1 }) } }), { maxRetainedReplayBytes: 1024 * 1024 });
    const ended: Array<{ agentId: string; error: Error }> = [];
    server.on('sessionEnd', (info, error) => ended.push({ agentId: info.agentId, error }));
    const clients = ['first', 'second'].map((name) => {
      const connect = holdable(memoryConnector(server));
      const client = new AgentClient({ connect, name, namespace: '/r', reconnect: { initialMs: 5, maxMs: 20 } });
      return { name, connect, client, inbox: [] as TeamMessage[], resumed: [] as boolean[] };
    });
    for (const c of clients) {
      c.client.on('message', (m) => c.inbox.push(m));
      c.client.on('connect', (info) => c.resumed.push(info.resumed));
      await c.client.connect();
    }
    const blob = 'x'.repeat(600 * 1024);
    for (const c of clients) {
      c.connect.hold();
      await c.client.dropConnection();
      // Sent while the client is away: kept for replay, unacknowledged.
      expect(await server.send('/r', { to: c.name }, 'blob', blob)).toBe(1);
    }
    const deadline = Date.now() + 10_000;
    while (ended.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(ended.map((e) => e.agentId)).toEqual(['first']);
    expect(ended[0]?.error).toMatchObject({ code: 410 });
    expect(server.sessionCount).toBe(1);
    for (const c of clients) c.connect.release();
    const until = Date.now() + 10_000;
    while (clients.some((c) => c.resumed.length < 2) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(clients.map((c) => c.resumed)).toEqual([
      [false, false],
      [false, true],
    ]);
    const second = clients[1];
    while ((second?.inbox.length ?? 0) === 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(second?.inbox[0]).toMatchObject({ event: 'blob' });
    for (const c of clients) await c.client.close();
    server.close();
  });
});
