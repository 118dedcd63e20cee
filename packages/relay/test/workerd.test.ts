import { fileURLToPath } from 'node:url';
import { AgentClient, AgentServer, type TeamMessage } from '@agentsocket/core';
import { wsConnector, wsServer } from '@agentsocket/ws';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Relay } from '../src/index.js';
import { workerAgent } from './worker/agent.js';

const SECRET = 'workerd-secret';
const COLD_START_MS = 1200;

let mf: Miniflare;
let relay: Relay;
let relayUrl: string;
let directUrl: string;
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  // The Worker script: the agent and @agentsocket/function bundled for workerd (no Node APIs).
  const bundle = await build({
    entryPoints: [fileURLToPath(new URL('./worker/entry.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    conditions: ['@agentsocket/source', 'worker', 'browser'],
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  const script = bundle.outputFiles[0]?.text ?? '';
  mf = new Miniflare({
    modules: true,
    script,
    compatibilityDate: '2025-09-01',
    compatibilityFlags: ['enable_request_signal'],
    bindings: { SECRET, COLD_START_MS: String(COLD_START_MS) },
    port: 0,
    host: '127.0.0.1',
  });
  const url = await mf.ready;
  // The relay knows the tools (a manifest), so nothing warms the Worker before the test's first call.
  relay = await Relay.start({
    function: { url: url.href, secret: SECRET, timeoutMs: 20_000 },
    manifest: { agent: { name: workerAgent.name, version: '1.0.0' }, tools: workerAgent.tools, codecs: ['msgpack', 'json'] },
  });
  const endpoint = await wsServer({ agentServer: relay.server, port: 0, host: '127.0.0.1' });
  relayUrl = endpoint.url ?? '';
  // Direct mode with the same agent, for the HELLO reference.
  const direct = new AgentServer(workerAgent);
  const directEndpoint = await wsServer({ agentServer: direct, port: 0, host: '127.0.0.1' });
  directUrl = directEndpoint.url ?? '';
  closers.push(async () => {
    relay.server.close();
    direct.close();
    await endpoint.close();
    await directEndpoint.close();
    await relay.close();
    await mf.dispose();
  });
}, 120_000);

afterAll(async () => {
  for (const c of closers) await c();
});

async function client(url: string, tools: ConstructorParameters<typeof AgentClient>[0]['tools'] = {}): Promise<{ client: AgentClient; helloMs: number }> {
  const c = new AgentClient({ connect: wsConnector({ url }), tools });
  const t0 = performance.now();
  await c.connect();
  const helloMs = performance.now() - t0;
  closers.unshift(() => c.close());
  return { client: c, helloMs };
}

describe('the function in the real Workers runtime (workerd via miniflare), behind the relay', () => {
  it('a cold function (1.2 s init) does not delay HELLO; the first call pays the cold start', async () => {
    // Interleaved with the reference, Direct mode (same agent, same machine), after one warm-up each.
    await client(directUrl);
    const first = (await client(relayUrl)).client;
    const direct: number[] = [];
    const relayed: number[] = [];
    for (let i = 0; i < 9; i++) {
      direct.push((await client(directUrl)).helloMs);
      relayed.push((await client(relayUrl)).helloMs);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
    console.log(
      `HELLO round trip, median of 9 interleaved: direct ${median(direct).toFixed(2)} ms, relay with the function cold ${median(relayed).toFixed(2)} ms (ratio ${(median(relayed) / median(direct)).toFixed(2)})`,
    );
    // The handshake never touched the function: far below its cold start.
    expect(Math.max(...relayed)).toBeLessThan(COLD_START_MS / 2);
    const t0 = performance.now();
    const r = await first.invoke('echo', { cold: true }).result;
    const firstCallMs = performance.now() - t0;
    console.log(`first call (cold Worker): ${firstCallMs.toFixed(0)} ms`);
    expect(r.value).toEqual({ cold: true });
    expect(firstCallMs).toBeGreaterThanOrEqual(COLD_START_MS - 50);
  });

  it('streams over the real socket: the first STREAM reaches the client while the Worker still runs', async () => {
    const { client: c } = await client(relayUrl);
    const call = c.invoke('slowStream', {}, { metrics: true });
    const arrivals: number[] = [];
    for await (const _chunk of call) arrivals.push(Date.now());
    const done = Date.now();
    const result = await call.result;
    expect(result.value).toMatchObject({ done: true });
    expect(arrivals).toHaveLength(3);
    // Chunks were yielded 400 ms apart; buffered, they would all arrive together at the end.
    expect(done - (arrivals[0] ?? done)).toBeGreaterThan(600);
    expect((arrivals[1] ?? 0) - (arrivals[0] ?? 0)).toBeGreaterThan(250);
    expect(result.metrics.chunks).toBe(3);
  });

  it('INTERRUPT aborts the Worker’s request: its handler sees ctx.signal and says so through the callback API', async () => {
    const { client: c } = await client(relayUrl);
    const heard = new Promise<TeamMessage>((resolve) => c.on('message', resolve));
    const abort = new AbortController();
    const call = c.invoke('wait', {}, { signal: abort.signal });
    const it1 = call[Symbol.asyncIterator]();
    expect((await it1.next()).value).toBe('started');
    const abortedAt = Date.now();
    abort.abort();
    await expect(call.result).rejects.toMatchObject({ code: 499 });
    const message = await heard;
    expect(message).toMatchObject({ event: 'interrupted', data: { tool: 'wait' } });
    // Noticed through the next KEEPALIVE write (1 s), long before the call's 20 s deadline would end it.
    expect(Date.now() - abortedAt).toBeLessThan(8_000);
  });

  it('ctx.invokePeer from the Worker reaches the client and back (full duplex); ctx.defineTool becomes TOOL_DEF', async () => {
    const { client: c } = await client(relayUrl, { clarify: { handler: (args: { question?: string }) => `the cat (to "${args.question}")` } });
    const chunks: unknown[] = [];
    const call = c.invoke('ask', {});
    for await (const chunk of call) chunks.push(chunk);
    expect(chunks).toEqual(['thinking']);
    expect((await call.result).value).toEqual({ answer: 'the cat (to "which one?")' });
    const announced = new Promise<string[]>((resolve) => c.on('tools', (tools) => resolve(tools.map((t) => t.name))));
    expect((await c.invoke('announce', {}).result).value).toBe('announced');
    expect(await announced).toContain('late');
    expect((await c.invoke('late', {}).result).value).toBe('late works');
  });
});
