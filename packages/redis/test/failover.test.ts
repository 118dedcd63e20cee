import { AgentClient, CloseCode, defineAgent, ErrorCode, type TeamMessage, tool } from '@agentsocket/core';
import { describe, expect, it } from 'vitest';
import { clusters, until } from './cluster.js';
import { redisOrSkip } from './redis-env.js';

const run = await redisOrSkip();

/** The served agent; `runs` counts handler runs across every node of a test. */
function streamer(counter: { runs: number }) {
  return () =>
    defineAgent({
      name: 'streamer',
      tools: {
        count: tool({
          input: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] },
          async *handler(args) {
            counter.runs++;
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
}

function inbox(client: AgentClient): TeamMessage[] {
  const got: TeamMessage[] = [];
  client.on('message', (m) => got.push(m));
  return got;
}

describe.runIf(run)('failover between nodes sharing Redis', () => {
  const start = clusters();

  it('resumes a stream on another node mid-stream: nothing lost, nothing duplicated', async () => {
    const counter = { runs: 0 };
    const c = await start({ agent: streamer(counter) });
    const client = await c.client(0);
    const resumed = new Promise<boolean>((resolve) => client.on('connect', (i) => resolve(i.resumed)));
    const n = 2000;
    const call = client.invoke('count', { n });
    const seen: unknown[] = [];
    for await (const chunk of call) {
      seen.push(chunk);
      if (seen.length === 300) await c.nodes[0]?.kill();
    }
    expect(await resumed).toBe(true);
    expect(seen).toEqual(Array.from({ length: n }, (_, i) => i));
    expect((await call.result).value).toEqual({ total: n });
    // The handler died with node a and ran again on node b; the client skipped what it had.
    expect(counter.runs).toBe(2);
  });

  it('does not run a finished request again after failover', async () => {
    const counter = { runs: 0 };
    const c = await start({ agent: streamer(counter) });
    const client = await c.client(0);
    expect((await client.invoke('count', { n: 3 }).result).value).toEqual({ total: 3 });
    await c.nodes[0]?.kill();
    expect((await client.invoke('count', { n: 2 }).result).value).toEqual({ total: 2 });
    expect(counter.runs).toBe(2);
  });

  it('keeps a team agent reachable after its node dies: same id, same rooms, on another node', async () => {
    const c = await start({ agent: streamer({ runs: 0 }) });
    const worker = await c.client(0, { name: 'worker', namespace: '/t' });
    const boss = await c.client(2, { name: 'boss', namespace: '/t' });
    const got = inbox(worker);
    await worker.join('crew');
    const resumed = new Promise<void>((resolve) => worker.on('connect', (i) => i.resumed && resolve()));
    for (let i = 0; i < 10; i++) await boss.send('worker', 'n', i);
    await c.nodes[0]?.kill();
    await resumed;
    for (let i = 10; i < 20; i++) await boss.send('worker', 'n', i);
    expect(await boss.broadcast('crew-call', null, { room: 'crew' })).toBe(1);
    await until(() => got.length === 21, '21 messages');
    expect(got.slice(0, 20).map((m) => m.data)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(await worker.rooms()).toEqual(['crew']);
    expect((await boss.members()).sort()).toEqual(['boss', 'worker']);
  });

  it('resumes an agent-to-agent stream whose caller lost its node, without loss or repeats', async () => {
    const c = await start({ agent: streamer({ runs: 0 }) });
    let served = 0;
    await c.client(2, {
      name: 'worker',
      namespace: '/t',
      tools: {
        slow: {
          async *handler(args) {
            served++;
            const n = Number(args['n']);
            for (let i = 0; i < n; i++) {
              await new Promise((r) => setImmediate(r));
              yield i;
            }
            return 'done';
          },
        },
      },
    });
    const boss = await c.client(0, { name: 'boss', namespace: '/t' });
    const call = boss.invokeAgent('worker', 'slow', { n: 1000 });
    const seen: unknown[] = [];
    for await (const chunk of call) {
      seen.push(chunk);
      if (seen.length === 200) await c.nodes[0]?.kill();
    }
    expect(seen).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect((await call.result).value).toBe('done');
    // Node a's routed call ran once; node b ran it again for the resumed session.
    expect(served).toBe(2);
  });

  it('ignores members of a dead node, then removes them; their ids are free again', async () => {
    const c = await start({ agent: streamer({ runs: 0 }), redis: { heartbeatMs: 50, nodeTtlMs: 1000 } });
    await c.client(0, { name: 'doomed', namespace: '/t', reconnect: false });
    const other = await c.client(1, { name: 'other', namespace: '/t' });
    expect((await other.members()).sort()).toEqual(['doomed', 'other']);
    await c.nodes[0]?.kill();
    await until(async () => (await other.members()).length === 1, 'the dead node to be ignored');
    await expect(other.send('doomed', 'x')).rejects.toMatchObject({ code: ErrorCode.AGENT_NOT_FOUND });
    const again = new AgentClient({ connect: c.via(2), name: 'doomed', namespace: '/t', reconnect: false });
    await again.connect();
    expect((await other.members()).sort()).toEqual(['doomed', 'other']);
    await again.close();
  });

  it('loses nothing sent to an agent whose session moves between two live nodes', async () => {
    const c = await start({ agent: streamer({ runs: 0 }) });
    let target = 0;
    const receiver = new AgentClient({
      connect: (signal) => {
        const node = c.nodes[target];
        return node ? node.connect(signal) : Promise.reject(new Error('no node'));
      },
      name: 'receiver',
      namespace: '/m',
      reconnect: { initialMs: 1, maxMs: 5 },
    });
    await receiver.connect();
    const sender = await c.client(2, { name: 'sender', namespace: '/m' });
    const got = inbox(receiver);
    const acknowledged: number[] = [];
    let stop = false;
    // Sends as fast as they are answered; some fail visibly (503) while the receiver moves.
    const pump = (async () => {
      for (let i = 0; !stop; i++) {
        await sender.send('receiver', 'n', i).then(
          () => acknowledged.push(i),
          () => {},
        );
      }
    })();
    try {
      await until(() => acknowledged.length >= 30, 'sends before the move');
      const resumed = new Promise<boolean>((resolve) => receiver.on('connect', (i) => resolve(i.resumed)));
      target = 1;
      // The connection drops on node a, which stays alive; the client comes back through node b.
      await Promise.all([...(c.nodes[0]?.connect.serverEnds ?? [])].map((t) => t.close(CloseCode.GOING_AWAY, 'network blip')));
      expect(await resumed).toBe(true);
      const before = acknowledged.length;
      await until(() => acknowledged.length >= before + 30, 'sends after the move');
    } finally {
      stop = true;
      await pump;
    }
    await until(() => acknowledged.every((i) => got.some((m) => m.data === i)), 'every acknowledged message').catch(() => {});
    expect(acknowledged.filter((i) => !got.some((m) => m.data === i))).toEqual([]);
    const seen = got.map((m) => m.data);
    expect(new Set(seen).size).toBe(seen.length);
    await receiver.close();
  });
});
