import { describe, expect, it } from 'vitest';
import { AgentClient, AgentServer, defineAgent, type HubMember, MemoryHub, memoryConnector, tool } from '../src/index.js';

/** A hub whose attach takes a round trip, as a hub on Redis does. */
class SlowHub extends MemoryHub {
  override async attach(member: HubMember): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 20));
    return super.attach(member);
  }
}

describe('sessions per principal', () => {
  it('holds the limit for handshakes of one principal running at the same moment', async () => {
    const server = new AgentServer(defineAgent({ name: 'p', tools: { ok: tool({ handler: () => 1 }) } }), {
      maxSessionsPerPrincipal: 2,
      authenticate: (token) => (token ? { id: token } : undefined),
      // Every new session waits in attach, so all five handshakes are past the limit check together.
      teams: { hub: new SlowHub() },
    });
    const clients = Array.from({ length: 5 }, () => new AgentClient({ connect: memoryConnector(server), token: 'alice', reconnect: false, connectAttempts: 1 }));
    const results = await Promise.allSettled(clients.map((c) => c.connect()));
    expect(results.filter((r) => r.status === 'fulfilled').length).toBe(2);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 429 });
    expect(server.sessionCount).toBe(2);
    for (const c of clients) await c.close();
    server.close();
  });
});
