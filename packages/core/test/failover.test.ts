import { describe, expect, it } from 'vitest';
import {
  AgentClient,
  AgentServer,
  type Connector,
  CloseCode,
  defineAgent,
  MemoryHub,
  MemorySessionStore,
  memoryConnector,
  tool,
} from '../src/index.js';

/** Two "nodes" sharing a session store and a hub, as cluster nodes share Redis. */
function cluster() {
  let runs = 0;
  const agent = () =>
    defineAgent({
      name: 'streamer',
      tools: {
        count: tool({
          input: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] },
          async *handler(args) {
            runs++;
            const n = Number(args['n']);
            for (let i = 0; i < n; i++) {
              if (i % 10 === 0) await new Promise((r) => setImmediate(r));
              yield i;
            }
            return { total: n };
          },
        }),
      },
    });
  const sessions = new MemorySessionStore();
  const hub = new MemoryHub();
  const a = new AgentServer(agent(), { sessions, teams: { hub }, nodeId: 'a' });
  const b = new AgentServer(agent(), { sessions, teams: { hub }, nodeId: 'b' });
  const toA = memoryConnector(a);
  const toB = memoryConnector(b);
  let target: 'a' | 'b' = 'a';
  // The "load balancer": sends each new connection to whichever node is alive.
  const connect: Connector = (signal) => (target === 'a' ? toA(signal) : toB(signal));
  return {
    a,
    b,
    connect,
    serverEndsOfA: () => [...toA.serverEnds],
    runs: () => runs,
    /** Node a dies: its connections drop without a goodbye and it serves nothing more. */
    killA: async () => {
      target = 'b';
      await Promise.all([...toA.serverEnds].map((t) => t.close(CloseCode.GOING_AWAY, 'node died')));
    },
    close: () => {
      a.close();
      b.close();
    },
  };
}

/** A client agent serving `slow` (runs until interrupted) and `quick`, counting what happens. */
async function worker(connect: Connector) {
  const counts = { started: 0, interrupted: 0 };
  const client = new AgentClient({
    connect,
    name: 'worker',
    reconnect: { initialMs: 1, maxMs: 10 },
    tools: {
      slow: {
        async handler(_args, ctx) {
          counts.started++;
          await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
          counts.interrupted++;
          return 'stopped';
        },
      },
      quick: { handler: () => 'quick answer' },
    },
  });
  await client.connect();
  return { client, counts };
}

describe('failover through a shared session store', () => {
  it('resumes a stream on another node: nothing lost, nothing duplicated', async () => {
    const c = cluster();
    const client = new AgentClient({ connect: c.connect, reconnect: { initialMs: 1, maxMs: 10 } });
    await client.connect();
    const resumed = new Promise<boolean>((resolve) => client.on('connect', (i) => resolve(i.resumed)));
    const n = 2000;
    const call = client.invoke('count', { n });
    const seen: unknown[] = [];
    for await (const chunk of call) {
      seen.push(chunk);
      if (seen.length === 300) await c.killA();
    }
    expect(await resumed).toBe(true);
    expect(seen).toEqual(Array.from({ length: n }, (_, i) => i));
    expect((await call.result).value).toEqual({ total: n });
    // The handler died with node a and ran again on node b; the client skipped what it had.
    expect(c.runs()).toBe(2);
    await client.close();
    c.close();
  });

  it('does not run a finished request again after failover', async () => {
    const c = cluster();
    const client = new AgentClient({ connect: c.connect, reconnect: { initialMs: 1, maxMs: 10 } });
    await client.connect();
    expect((await client.invoke('count', { n: 3 }).result).value).toEqual({ total: 3 });
    await c.killA();
    const after = client.invoke('count', { n: 2 });
    expect((await after.result).value).toEqual({ total: 2 });
    expect(c.runs()).toBe(2);
    await client.close();
    c.close();
  });

  it('interrupts a request the dead node left running at the client and does not reuse its id', async () => {
    const c = cluster();
    const { client, counts } = await worker(c.connect);
    const orphan = c.a.invokeAgent('/', 'worker', 'slow');
    orphan.result.catch(() => {});
    await expect.poll(() => counts.started).toBe(1);
    const resumed = new Promise<boolean>((resolve) => client.on('connect', (i) => resolve(i.resumed)));
    await c.killA();
    expect(await resumed).toBe(true);
    await expect.poll(() => counts.interrupted).toBe(1);
    // Node b's first request id would have been the orphan's; it must pick another.
    expect((await c.b.invokeAgent('/', 'worker', 'quick').result).value).toBe('quick answer');
    await client.close();
    c.close();
  });

  it('interrupts a call the dead node journaled but the client never received, and does not reuse its id', async () => {
    const c = cluster();
    const { client, counts } = await worker(c.connect);
    // A partition: node a's frames stop reaching the client, though a journals them as sent.
    for (const t of c.serverEndsOfA()) t.send = () => {};
    const lost = c.a.invokeAgent('/', 'worker', 'slow');
    lost.result.catch(() => {});
    const resumed = new Promise<boolean>((resolve) => client.on('connect', (i) => resolve(i.resumed)));
    await c.killA();
    expect(await resumed).toBe(true);
    // Node b replays the journaled INVOKE, then interrupts it: nobody here is waiting for its answer.
    await expect.poll(() => counts.interrupted).toBe(1);
    expect(counts.started).toBe(1);
    expect((await c.b.invokeAgent('/', 'worker', 'quick').result).value).toBe('quick answer');
    await client.close();
    c.close();
  });

  it('keeps a drained session in the store for its TTL, then forgets it', async () => {
    const sessions = new MemorySessionStore();
    const server = new AgentServer(defineAgent({ name: 'x', tools: {} }), { sessions, sessionTtlMs: 30 });
    const client = new AgentClient({ connect: memoryConnector(server), reconnect: false });
    const { sessionId } = await client.connect();
    server.close();
    expect(await sessions.load(sessionId)).toBeDefined();
    await expect.poll(async () => sessions.load(sessionId)).toBeUndefined();
    await client.close();
  });
});
