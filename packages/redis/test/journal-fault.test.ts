import { CloseCode, defineAgent, type Delivery, tool } from '@agentsocket/core';
import { decodeFrame, FrameType } from '@agentsocket/core/transport';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { clusters, type TestNode } from './cluster.js';
import { REDIS_URL, redisOrSkip } from './redis-env.js';
import { RedisCutProxy } from './redis-proxy.js';

const run = await redisOrSkip();

/** What the handlers did, per node: runs started, and runs finished while their node was alive. */
interface Effects {
  started: string[];
  finished: string[];
}

/** The agent of node `name`: `unary` answers after a turn, `stream` yields n chunks a turn apart. */
function agentOf(name: string, alive: () => boolean, effects: Effects) {
  const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
  return defineAgent({
    name: 'journaled',
    tools: {
      unary: tool({
        async handler(_args, ctx) {
          effects.started.push(name);
          await turn();
          // A killed process does nothing more: what runs on after the simulated kill is not an effect.
          if (!alive() || ctx.signal.aborted) throw new Error('node died');
          effects.finished.push(name);
          return { ok: true };
        },
      }),
      stream: tool({
        input: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] },
        async *handler(args, ctx) {
          effects.started.push(name);
          const n = Number(args['n']);
          for (let i = 0; i < n; i++) {
            await turn();
            if (!alive() || ctx.signal.aborted) throw new Error('node died');
            yield i;
          }
          await turn();
          if (!alive() || ctx.signal.aborted) throw new Error('node died');
          effects.finished.push(name);
          return { total: n };
        },
      }),
    },
  });
}

/** Node a dies in this turn: Redis is already cut (by the proxy); every connection drops now. */
function killNow(node: TestNode): void {
  node.alive = false;
  for (const t of node.connect.serverEnds) void t.close(CloseCode.GOING_AWAY, 'node died');
  void node.redis.close({ abrupt: true });
  node.server.close();
}

/** What Redis held for request `rid` of session `id` when its node died. */
async function stateAt(prefix: string, id: string, rid: number): Promise<{ running: boolean; answered: boolean }> {
  const r = new Redis(REDIS_URL);
  try {
    const running = (await r.hexists(`${prefix}s:${id}:i`, String(rid))) === 1;
    const frames = await r.zrangeBuffer(`${prefix}s:${id}:f`, 0, -1);
    const answered = frames.map((f) => decodeFrame(new Uint8Array(f))).some((f) => f.requestId === rid && (f.type === FrameType.COMPLETE || f.type === FrameType.ERROR));
    return { running, answered };
  } finally {
    r.disconnect();
  }
}

const VARIANTS: Array<{ delivery: Delivery; tool: 'unary' | 'stream' }> = [
  { delivery: 'at-least-once', tool: 'unary' },
  { delivery: 'at-least-once', tool: 'stream' },
  { delivery: 'exactly-once', tool: 'unary' },
  { delivery: 'exactly-once', tool: 'stream' },
];

describe.runIf(run)('a node killed between any two of its Redis writes loses no call and answers none twice', { timeout: 120_000 }, () => {
  const start = clusters();
  const proxies: RedisCutProxy[] = [];
  afterEach(async () => {
    for (const p of proxies.splice(0)) await p.close();
  });

  for (const v of VARIANTS) {
    it(`${v.delivery} ${v.tool}: killed after each of its writes in turn`, async () => {
      const port = Number(new URL(REDIS_URL).port || 6379);
      const chunks = v.tool === 'stream' ? 3 : 0;
      const expected = v.tool === 'stream' ? { total: chunks } : { ok: true };
      let n = 0;
      for (; ; n++) {
        const proxy = await RedisCutProxy.start(port, new URL(REDIS_URL).hostname);
        proxies.push(proxy);
        const effects: Effects = { started: [], finished: [] };
        const names = ['node-a', 'node-b'];
        let made = 0;
        const nodes: TestNode[] = [];
        const c = await start({
          nodes: 2,
          agent: () => {
            const i = made++;
            return agentOf(names[i] ?? '?', () => nodes[i]?.alive === true, effects);
          },
          // Node a talks to Redis through the proxy; its hub stays quiet so the count is the call's.
          node: (i) => (i === 0 ? { url: proxy.url, heartbeatMs: 60_000, nodeTtlMs: 180_000 } : {}),
          // A claim of the dead node lapses quickly, so an exactly-once re-run does not wait 10 s.
          redis: { dedupLeaseMs: 300 },
        });
        nodes.push(...c.nodes);
        const a = c.nodes[0];
        if (!a) throw new Error('node a');
        // Once node a is dead, the client reconnects only after Redis's state has been read.
        let read = () => {};
        const stateRead = new Promise<void>((resolve) => {
          read = resolve;
        });
        const client = await c.client(0, { connect: (signal) => (a.alive ? c.via(0)(signal) : stateRead.then(() => c.via(0)(signal))) });
        const resumed = new Promise<boolean>((resolve) => client.on('connect', (info) => resolve(info.resumed)));
        const sessionId = client.sessionId ?? '';
        let atKill: Promise<{ running: boolean; answered: boolean }> | undefined;
        proxy.arm(n, () => {
          killNow(a);
          atKill = stateAt(c.prefix, sessionId, call.requestId).finally(read);
        });

        const call = client.invoke(v.tool, v.tool === 'stream' ? { n: chunks } : {}, { delivery: v.delivery, timeoutMs: 20_000 });
        const seen: unknown[] = [];
        for await (const chunk of call) seen.push(chunk);
        const result = await call.result;
        const cut = proxy.cut;

        const at = `${v.delivery} ${v.tool}, killed after write ${n} (${JSON.stringify(effects)})`;
        expect(result.value, at).toEqual(expected);
        expect(seen, at).toEqual(Array.from({ length: chunks }, (_, i) => i));
        if (cut) {
          const state = await atKill;
          expect(await resumed, at).toBe(true);
          // Node b runs the request at most once more (when node a died before its end was stored).
          expect(effects.started.filter((x) => x === 'node-b').length, at).toBeLessThanOrEqual(1);
          // Redis held the request as running, or its answer, never both; and an answer stored is
          // replayed, never made again.
          expect(state?.running && state.answered, `${at}: running and answered at once`).toBe(false);
          if (state?.answered) expect(effects.started, `${at}: answered, yet run again`).not.toContain('node-b');
          // Neither is left only before the INVOKE was stored; the client then sends it again.
        } else {
          expect(effects, at).toEqual({ started: ['node-a'], finished: ['node-a'] });
        }
        await client.close();
        if (!cut) break;
      }
      // The last round ran to the end with fewer than n writes: every earlier cut point was tried.
      console.log(`${v.delivery} ${v.tool}: killed after each of writes 0..${n - 1}`);
      expect(n).toBeGreaterThanOrEqual(v.delivery === 'exactly-once' ? 4 : 2);
    });
  }
});
