/**
 * `pnpm --filter @agentsocket/compare relay-push-bench`: the callback push of Relay mode's speed
 * goals (issue 15). Two relay processes share sessions and callbacks through Redis (a key prefix of
 * this run's own); a client is connected to relay B; `POST …/connections/{cid}/messages` is sent to
 * relay A, and the time from the request's start to the client's `message` event is taken, one
 * push after another (the next once the previous one arrived and was answered).
 *
 * Same-run references, rounds interleaved: the same push sent to relay B (the relay holding the
 * connection: no hand-over), and a bare Redis PUBLISH to a subscriber in this process (one
 * pub/sub hop, the floor of a hand-over). Per round p50 and p90; medians over rounds, and the
 * percentiles of all pushes together.
 *
 * Flags: --rounds 5, --pushes 300 (per round and variant), --redis-url redis://127.0.0.1:6379.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Agent as HttpAgent, request } from 'node:http';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { collectGarbage, formatMs, interleave, latencySummary, median } from '@agentsocket/bench-kit';
import { AgentClient, defineAgent, type TeamMessage, tool } from '@agentsocket/core';
import { type CallbackInfo, functionHandler, relayContext } from '@agentsocket/function';
import { serveFunction } from '@agentsocket/function/node';
import { wsConnector } from '@agentsocket/ws';
import { Redis } from 'ioredis';

const argv = process.argv.slice(2);
const arg = (name: string, fallback: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? (argv[i + 1] ?? fallback) : fallback;
};
const rounds = Number(arg('rounds', '5'));
const pushes = Number(arg('pushes', '300'));
const redisUrl = arg('redis-url', 'redis://127.0.0.1:6379');
const SECRET = randomBytes(16).toString('hex');
const CALLBACK_SECRET = randomBytes(16).toString('hex');
const PREFIX = `relay-push-bench-${randomBytes(4).toString('hex')}:`;
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

let kept: CallbackInfo | undefined;
const agent = defineAgent({
  name: 'push-bench',
  tools: {
    keep: tool({
      handler: (_args, ctx) => {
        kept = relayContext(ctx)?.callback;
        return ctx.sessionId;
      },
    }),
  },
});

interface RelayNode {
  url: string;
  callbackUrl: string;
  child: ChildProcess;
}

async function startRelay(functionUrl: string, nodeId: string): Promise<RelayNode> {
  const script = fileURLToPath(new URL('./servers/relay-cluster-node.ts', import.meta.url));
  const child = spawn(process.execPath, ['--conditions=@agentsocket/source', '--import', 'tsx', script], {
    env: { ...process.env, FUNCTION_URL: functionUrl, SECRET, CALLBACK_SECRET, PREFIX, NODE_ID: nodeId },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const [url, callbackUrl] = await new Promise<[string, string]>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /ready (\S+) (\S+)/.exec(out);
      if (m?.[1] && m[2]) resolve([m[1], m[2]]);
    });
    child.once('exit', (code) => reject(new Error(`relay ${nodeId} exited with ${code}: ${out}`)));
  });
  return { url, callbackUrl, child };
}

/**
 * POSTs with one kept-alive connection per relay; resolves with the status once the answer ended.
 * A request on a kept-alive connection that the server closed meanwhile is sent again once, on a
 * new connection (the race node:http's documentation describes for `reusedSocket`).
 */
function poster(base: string, cid: string, token: string): (body: string) => Promise<number> {
  const agentHttp = new HttpAgent({ keepAlive: true, maxSockets: 1 });
  const url = new URL(`connections/${encodeURIComponent(cid)}/messages`, base);
  const send = (body: string, retry: boolean): Promise<number> =>
    new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method: 'POST',
          agent: agentHttp,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          res.resume();
          res.once('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.once('error', (error: NodeJS.ErrnoException) => {
        if (retry && req.reusedSocket && error.code === 'ECONNRESET') send(body, false).then(resolve, reject);
        else reject(error);
      });
      req.end(body);
    });
  return (body) => send(body, true);
}

const closers: Array<() => Promise<void> | void> = [];
try {
  console.log(`relay push bench: ${rounds} rounds × ${pushes} pushes per variant; Redis ${redisUrl}, prefix ${PREFIX}; load average at start ${load()}`);
  const fn = await serveFunction(functionHandler(agent, { secret: SECRET }));
  closers.push(() => fn.close());
  const [a, b] = await Promise.all([startRelay(fn.url, 'relay-a'), startRelay(fn.url, 'relay-b')]);
  closers.push(() => void a.child.kill('SIGKILL'), () => void b.child.kill('SIGKILL'));
  const client = new AgentClient({ connect: wsConnector({ url: b.url }) });
  await client.connect();
  closers.push(() => client.close());
  const cid = (await client.invoke('keep', {}).result).value as string;
  const callback = kept;
  if (!callback || callback.url !== b.callbackUrl) throw new Error('the function was not given relay B’s callback');

  let waiting: ((m: TeamMessage) => void) | undefined;
  client.on('message', (m) => waiting?.(m));
  let n = 0;
  /** One push: ms from the request's start to the client's message event, and to the answer's end. */
  const push = (post: (body: string) => Promise<number>) => async (): Promise<[number, number]> => {
    const seq = n++;
    const arrived = new Promise<number>((resolve) => {
      waiting = (m) => {
        if (m.data === seq) resolve(performance.now());
      };
    });
    const t0 = performance.now();
    const status = await post(`{"event":"push","data":${seq}}`);
    const answered = performance.now();
    if (status !== 204) throw new Error(`push answered HTTP ${status}`);
    return [(await arrived) - t0, answered - t0];
  };
  const viaA = push(poster(a.callbackUrl, cid, callback.token));
  const viaB = push(poster(b.callbackUrl, cid, callback.token));

  // Bare pub/sub: PUBLISH on one connection, the message on another's subscription, in this process.
  const pub = new Redis(redisUrl);
  const sub = new Redis(redisUrl);
  closers.push(() => void pub.disconnect(), () => void sub.disconnect());
  const channel = `${PREFIX}bare`;
  await sub.subscribe(channel);
  let onBare: (() => void) | undefined;
  sub.on('messageBuffer', () => onBare?.());
  const bare = async (): Promise<[number, number]> => {
    const got = new Promise<number>((resolve) => {
      onBare = () => resolve(performance.now());
    });
    const t0 = performance.now();
    await pub.publish(channel, 'x');
    const answered = performance.now();
    return [(await got) - t0, answered - t0];
  };

  type Sample = { arrival: number[]; answer: number[]; load: string };
  const series = async (one: () => Promise<[number, number]>, count: number): Promise<Sample> => {
    const arrival: number[] = [];
    const answer: number[] = [];
    for (let i = 0; i < count; i++) {
      const [x, y] = await one();
      arrival.push(x);
      answer.push(y);
    }
    return { arrival, answer, load: load() };
  };
  // Warm-up: JIT, connections, the owner record.
  await series(viaA, 1000);
  await series(viaB, 1000);
  await series(bare, 500);
  const results = await interleave(
    [
      { name: 'handed over (POST at relay A, client on B)', run: () => series(viaA, pushes) },
      { name: 'held (POST at relay B, client on B)', run: () => series(viaB, pushes) },
      { name: 'bare Redis PUBLISH → subscriber', run: () => series(bare, pushes) },
    ],
    {
      rounds,
      warmups: 0,
      between: collectGarbage,
      onResult: (name, round, s) => {
        const x = latencySummary(s.arrival);
        console.log(`  round ${round + 1} ${name}: p50 ${formatMs(x.p50)}, p90 ${formatMs(x.p90)} (load ${s.load})`);
      },
    },
  );
  console.log(`\n${pushes} pushes per round, ${rounds} rounds; to arrival = request start → client's message event (bare: PUBLISH → subscriber)`);
  console.log('variant                                        p50 (median of rounds)  p90 (median)  p50 all  p90 all  answer p50');
  for (const [name, samples] of results) {
    const per = samples.map((s) => latencySummary(s.arrival));
    const all = latencySummary(samples.flatMap((s) => s.arrival));
    const answers = latencySummary(samples.flatMap((s) => s.answer));
    console.log(
      `${name.padEnd(46)} ${formatMs(median(per.map((p) => p.p50))).padStart(22)}  ${formatMs(median(per.map((p) => p.p90))).padStart(12)}  ${formatMs(all.p50).padStart(7)}  ${formatMs(all.p90).padStart(7)}  ${formatMs(answers.p50).padStart(10)}`,
    );
  }
  console.log(`\nload average at the end ${load()}`);
} finally {
  for (const close of closers.reverse()) await close();
  const redis = new Redis(redisUrl);
  const keys = await redis.keys(`${PREFIX}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
}
