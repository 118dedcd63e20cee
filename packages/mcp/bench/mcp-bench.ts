/**
 * MCP bridge benchmark (issue 4 §3). Run: pnpm --filter @agentsocket/mcp bench
 *
 * 1. Serving: an agent behind our bridge vs a bare SDK McpServer with the same echo tool, both
 *    driven by the SDK Client, over stdio and Streamable HTTP, each server in its own process.
 *    Target: bridge throughput ≥ 90% of bare.
 * 2. Mounting: a bare SDK echo server over stdio called directly by the SDK Client vs the same
 *    server mounted through the bridge and called by our AgentClient over the ws transport.
 *    Target: mounted p50 latency ≤ 110% of direct.
 * Rounds of ROUND_MS (default 1000) are interleaved (A B, B A, …) and the medians of the rounds compared. Bytes per call
 * are JSON-RPC bytes (MCP) and frame bytes (ASP) seen at the client.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { AgentClient, AgentServer } from '@agentsocket/core';
import { wsConnector, wsServer } from '@agentsocket/ws';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { mountMcpServer } from '../src/index.js';
import { type Counter, countAsp, countMcp } from './byte-count.js';
import { closedLoop, median } from '@agentsocket/bench-kit';

const ROUNDS = Number(process.env['ROUNDS'] ?? 9);
/** Length of one round of sequential calls, ms. */
const ROUND_MS = Number(process.env['ROUND_MS'] ?? 1000);
const WARMUP = 300;

/** Calls per second, one call after another for a round (the kit's closed loop at 1 in flight). */
async function throughput(call: () => Promise<unknown>): Promise<number> {
  return (await closedLoop(call, { concurrency: 1, durationMs: ROUND_MS, recordLatency: false })).perSecond;
}

/** Median round trip, ms, one call after another for a round. */
async function latency(call: () => Promise<unknown>): Promise<number> {
  return (await closedLoop(call, { concurrency: 1, durationMs: ROUND_MS })).latency?.p50 ?? Number.NaN;
}
const TEXT = 'hello, agent socket';

function child(file: string): { command: string; args: string[]; cwd: string; stderr: 'inherit' } {
  return {
    command: process.execPath,
    args: ['--conditions=@agentsocket/source', '--import', 'tsx', fileURLToPath(new URL(file, import.meta.url)), '--stdio'],
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    stderr: 'inherit',
  };
}

interface Target {
  call(): Promise<unknown>;
  counter: Counter;
  close(): Promise<void>;
}

async function mcpTarget(transport: Transport, close: () => Promise<void> = async () => {}, tool = 'echo'): Promise<Target> {
  const counter: Counter = { bytes: 0 };
  const client = new Client({ name: 'bench', version: '1.0.0' });
  await client.connect(countMcp(transport, counter));
  return {
    counter,
    call: () => client.callTool({ name: tool, arguments: { text: TEXT } }),
    close: async () => {
      await client.close();
      await close();
    },
  };
}

/** Starts a server script with --http in a child process; resolves with the URL it prints. */
async function httpChild(file: string): Promise<{ url: string; close: () => Promise<void> }> {
  const c = child(file);
  const proc = spawn(c.command, [...c.args.slice(0, -1), '--http'], { cwd: c.cwd, stdio: ['ignore', 'pipe', 'inherit'] });
  const [line]: unknown[] = await once(createInterface({ input: proc.stdout }), 'line');
  if (typeof line !== 'string') throw new Error(`${file} printed no URL`);
  return {
    url: line,
    close: async () => {
      proc.kill();
      await once(proc, 'exit');
    },
  };
}

interface Comparison {
  name: string;
  metric: 'calls/s' | 'p50 ms';
  a: { label: string; rounds: number[]; bytesPerCall: number };
  b: { label: string; rounds: number[]; bytesPerCall: number };
  ratio: number;
  target: string;
  pass: boolean;
}

async function compare(
  name: string,
  metric: Comparison['metric'],
  a: [string, Target],
  b: [string, Target],
  target: { text: string; pass: (ratio: number) => boolean },
): Promise<Comparison> {
  const measure = metric === 'calls/s' ? throughput : latency;
  for (const [, t] of [a, b]) for (let i = 0; i < WARMUP; i++) await t.call();
  const ra: number[] = [];
  const rb: number[] = [];
  const bytes = { a: 0, b: 0 };
  for (let round = 0; round < ROUNDS; round++) {
    const order: Array<['a' | 'b', Target]> = round % 2 === 0 ? [['a', a[1]], ['b', b[1]]] : [['b', b[1]], ['a', a[1]]];
    for (const [key, t] of order) {
      const before = t.counter.bytes;
      let calls = 0;
      const value = await measure(() => {
        calls++;
        return t.call();
      });
      bytes[key] = (t.counter.bytes - before) / calls;
      (key === 'a' ? ra : rb).push(value);
    }
  }
  const ratio = median(ra) / median(rb);
  return {
    name,
    metric,
    a: { label: a[0], rounds: ra, bytesPerCall: bytes.a },
    b: { label: b[0], rounds: rb, bytesPerCall: bytes.b },
    ratio,
    target: target.text,
    pass: target.pass(ratio),
  };
}

const results: Comparison[] = [];

{
  const bridge = await mcpTarget(new StdioClientTransport(child('./echo-agent.ts')));
  const bare = await mcpTarget(new StdioClientTransport(child('./bare-echo-server.ts')));
  results.push(
    await compare('serve over stdio', 'calls/s', ['bridge', bridge], ['bare SDK', bare], { text: '≥ 0.90', pass: (r) => r >= 0.9 }),
  );
  await bridge.close();
  await bare.close();
}

{
  const ours = await httpChild('./echo-agent.ts');
  const theirs = await httpChild('./bare-echo-server.ts');
  const bridge = await mcpTarget(new StreamableHTTPClientTransport(new URL(ours.url)), ours.close);
  const bare = await mcpTarget(new StreamableHTTPClientTransport(new URL(theirs.url)), theirs.close);
  results.push(
    await compare('serve over Streamable HTTP', 'calls/s', ['bridge', bridge], ['bare SDK', bare], { text: '≥ 0.90', pass: (r) => r >= 0.9 }),
  );
  await bridge.close();
  await bare.close();
}

for (const tool of ['echo', 'slow-echo']) {
  const direct = await mcpTarget(new StdioClientTransport(child('./bare-echo-server.ts')), undefined, tool);
  const mounted = await mountMcpServer(child('./bare-echo-server.ts'));
  const agentServer = new AgentServer(mounted.agent);
  const ws = await wsServer({ agentServer, port: 0, host: '127.0.0.1' });
  const counter: Counter = { bytes: 0 };
  const client = new AgentClient({ connect: countAsp(wsConnector({ url: ws.url ?? '' }), counter), reconnect: false });
  await client.connect();
  const viaWs: Target = { counter, call: () => client.invoke(tool, { text: TEXT }).result, close: async () => {} };
  results.push(
    await compare(`mounted stdio server via ws (${tool})`, 'p50 ms', ['ws → bridge → stdio', viaWs], ['SDK Client → stdio', direct], {
      text: '≤ 1.10',
      pass: (r) => r <= 1.1,
    }),
  );
  await client.close();
  agentServer.close();
  await ws.close();
  await mounted.close();
  await direct.close();
}

const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(3));
console.log(`\nMCP bridge benchmark — ${ROUNDS} interleaved rounds of ${ROUND_MS} ms of sequential calls, medians\n`);
console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}\n`);
console.log('| comparison | metric | A | A median | A bytes/call | B | B median | B bytes/call | A/B | target |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of results) {
  console.log(
    `| ${r.name} | ${r.metric} | ${r.a.label} | ${fmt(median(r.a.rounds))} | ${r.a.bytesPerCall.toFixed(0)} | ${r.b.label} | ${fmt(median(r.b.rounds))} | ${r.b.bytesPerCall.toFixed(0)} | ${r.ratio.toFixed(3)} | ${r.target} ${r.pass ? 'ok' : 'MISSED'} |`,
  );
}
const out = process.env['BENCH_JSON'];
if (out) writeFileSync(out, JSON.stringify({ node: process.version, rounds: ROUNDS, roundMs: ROUND_MS, results }, null, 2));
