import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AgentClient, ProtocolError, type TeamMessage } from '@agentsocket/core';
import { encodeCancelRequest, encodeInvokeRequest, type RelayFrame, RelayFrameReader, RelayFrameType, relayCodec, signRequest } from '@agentsocket/function';
import { wsConnector, wsServer } from '@agentsocket/ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Relay } from '../src/index.js';

const PYTHON = '/usr/bin/python3';
const present = existsSync(PYTHON);
if (!present) {
  if (process.env['CI'] === 'true') throw new Error(`${PYTHON} is missing — CI must run the Python function test`);
  console.warn(`\n*** ${PYTHON} is missing: the Python function (written from docs/relay.md) is SKIPPED ***\n`);
}

const SECRET = 'py-secret';
let relay: Relay | undefined;
let url = '';
/** The Python function's own URL (requests straight to it, as a relay makes them). */
let fnUrl = '';
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  if (!present) return;
  const script = fileURLToPath(new URL('./python/function.py', import.meta.url));
  const proc = spawn(PYTHON, [script, SECRET], { stdio: ['ignore', 'pipe', 'inherit'] });
  closers.push(async () => {
    proc.kill('SIGTERM');
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    proc.once('exit', (code) => reject(new Error(`python function exited with ${code}`)));
  });
  fnUrl = `http://127.0.0.1:${port}/`;
  // Relay.start reads GET /tools: the Python side checks that signature too.
  const r = await Relay.start({ function: { url: `http://127.0.0.1:${port}/`, secret: SECRET } });
  relay = r;
  const endpoint = await wsServer({ agentServer: r.server, port: 0, host: '127.0.0.1' });
  url = endpoint.url ?? '';
  closers.push(async () => {
    r.server.close();
    await endpoint.close();
    await r.close();
  });
}, 30_000);

afterAll(async () => {
  for (const c of closers) await c();
});

async function client(): Promise<AgentClient> {
  const c = new AgentClient({ connect: wsConnector({ url }) });
  await c.connect();
  closers.unshift(() => c.close());
  return c;
}

describe.skipIf(!present)('a function in Python, written from docs/relay.md alone, behind the relay', () => {
  it('serves its tools (GET /tools), unary calls with metrics, and streams chunk by chunk', async () => {
    expect(relay?.agent.name).toBe('py-agent');
    const c = await client();
    const echo = await c.invoke('echo', { x: [1, 'two'] }, { metrics: true }).result;
    expect(echo.value).toEqual({ x: [1, 'two'] });
    expect(echo.metrics.cpuMs).toBe(0.25);
    const call = c.invoke('count', { n: 5 });
    const arrivals: number[] = [];
    const chunks: unknown[] = [];
    for await (const chunk of call) {
      chunks.push(chunk);
      arrivals.push(Date.now());
    }
    const done = Date.now();
    expect(chunks).toEqual([0, 1, 2, 3, 4]);
    expect((await call.result).value).toEqual({ total: 5 });
    expect(done - (arrivals[0] ?? done)).toBeGreaterThan(250); // the first chunk came long before the end
  });

  it('ERROR frames keep their code and data; STATE carries over to the next call of the connection', async () => {
    const c = await client();
    const error = await c.invoke('fail', {}).result.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error).toMatchObject({ code: 418, message: 'short and stout', data: { from: 'python' } });
    await c.invoke('remember', { topic: 'jaguar' }).result;
    expect((await c.invoke('recall', {}).result).value).toBe('{"topic": "jaguar"}');
  });

  it('uses the callback API after answering (MESSAGE) and announces a tool with a TOOL_DEF frame', async () => {
    const c = await client();
    const heard = new Promise<TeamMessage>((resolve) => c.on('message', resolve));
    expect((await c.invoke('notify', { hello: 'from node' }).result).value).toBe('will notify');
    expect(await heard).toMatchObject({ event: 'from-python', data: { hello: 'from node' }, from: 'py-agent' });
    const tools = new Promise<string[]>((resolve) => c.on('tools', (t) => resolve(t.map((x) => x.name))));
    expect((await c.invoke('late', {}).result).value).toBe('announced');
    expect(await tools).toContain('echo2');
    expect((await c.invoke('echo2', { a: 1 }).result).value).toEqual({ echo2: { a: 1 } });
  });

  it('runs an exactly-once call once: a request that follows it after the first was dropped gets every frame from the first', async () => {
    const json = relayCodec('json');
    const id = '01KBGZ5000000000000000PY01';
    const body = encodeInvokeRequest(
      { cid: 'c-py', id, tool: 'count', args: { n: 6, ms: 150 }, delivery: 'exactly-once', deadline: undefined, state: undefined, principal: 'alice', ns: '/', agent: 'a', traceparent: undefined, callback: undefined },
      json,
    );
    const post = async (endpoint: 'invoke' | 'cancel', bytes: Uint8Array, signal?: AbortSignal) =>
      fetch(new URL(endpoint, fnUrl), {
        method: 'POST',
        body: bytes,
        headers: { ...(await signRequest(SECRET, 'POST', endpoint, bytes)), 'content-type': 'application/json' },
        ...(signal ? { signal } : {}),
      });
    async function* frames(response: Response): AsyncGenerator<RelayFrame> {
      const reader = new RelayFrameReader(json);
      if (!response.body) return;
      for await (const bytes of response.body) yield* reader.push(bytes);
    }
    const read = async (response: Response) => {
      const out: unknown[] = [];
      for await (const f of frames(response)) if (f.type !== RelayFrameType.KEEPALIVE) out.push(f.type === RelayFrameType.CHUNK ? f.data : f);
      return out;
    };
    // The first request reads two chunks and is dropped (as when its relay dies).
    const abort = new AbortController();
    const first = await post('invoke', body, abort.signal);
    expect(first.status).toBe(200);
    const firstFrames: unknown[] = [];
    for await (const f of frames(first)) {
      firstFrames.push(f.type === RelayFrameType.CHUNK ? f.data : f.type);
      if (firstFrames.length === 2) break;
    }
    abort.abort();
    expect(firstFrames).toEqual([0, 1]);
    // The next one, same principal and id (its arguments are ignored), follows the run from its first frame.
    const again = encodeInvokeRequest(
      { cid: 'c-py', id, tool: 'count', args: { n: 1 }, delivery: 'exactly-once', deadline: undefined, state: undefined, principal: 'alice', ns: '/', agent: 'a', traceparent: undefined, callback: undefined },
      json,
    );
    const followed = await read(await post('invoke', again));
    expect(followed.slice(0, 6)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(followed.slice(6)).toEqual([expect.objectContaining({ type: RelayFrameType.RESULT, result: { total: 6 } })]);
    // After it ended, one more request gets it all again, without running the handler.
    expect((await read(await post('invoke', body))).slice(0, 6)).toEqual([0, 1, 2, 3, 4, 5]);
    const c = await client();
    expect((await c.invoke('runs', { id }).result).value).toEqual({ begun: 1, ended: 1, stopped: 0 });
    // A cancel for a run that ended, or for no run, changes nothing and is answered 204; unsigned, 401.
    const cancel = encodeCancelRequest({ id, principal: 'alice' }, json);
    expect((await post('cancel', cancel)).status).toBe(204);
    expect((await fetch(new URL('cancel', fnUrl), { method: 'POST', body: cancel, headers: { 'content-type': 'application/json' } })).status).toBe(401);
    expect((await c.invoke('runs', { id }).result).value).toEqual({ begun: 1, ended: 1, stopped: 0 });
  });

  it('stops an exactly-once call when the client interrupts it (the relay sends POST cancel)', async () => {
    const c = await client();
    const abort = new AbortController();
    const call = c.invoke('count', { n: 100, ms: 100 }, { delivery: 'exactly-once', signal: abort.signal });
    const got: unknown[] = [];
    for await (const chunk of call) {
      got.push(chunk);
      if (got.length === 2) {
        abort.abort();
        break;
      }
    }
    await expect(call.result).rejects.toMatchObject({ code: 499 });
    // The handler stopped long before its 100 chunks (10 s), and did not end.
    await expect
      .poll(async () => (await c.invoke('runs', { id: call.messageId }).result).value, { timeout: 3_000, interval: 100 })
      .toEqual({ begun: 1, ended: 0, stopped: 1 });
  });
});
