import { defineAgent, ProtocolError, tool } from '@agentsocket/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  encodeCancelRequest,
  encodeCompatRequest,
  CONTENT_TYPES,
  encodeInvokeRequest,
  FRAMES_CONTENT_TYPE,
  functionHandler,
  type RelayFrame,
  RelayFrameReader,
  RelayFrameType,
  relayCodec,
  signRequest,
} from '../src/index.js';

const json = relayCodec('json');
const msgpack = relayCodec('msgpack');
import { type NodeFunctionServer, serveFunction } from '../src/node.js';

const SECRET = 'test-secret';
let interrupted = 0;
let release: (() => void) | undefined;
/** Handler runs of `steps` by message id: begun, finished. */
const begun = new Map<string, number>();
const ended = new Map<string, number>();
const gates = new Map<string, () => void>();

const agent = defineAgent({
  name: 'fn',
  version: '2.0.0',
  tools: {
    echo: tool({ input: { type: 'object', properties: { x: { type: 'number' } }, required: ['x'] }, handler: (args) => args }),
    slow: tool({
      description: 'one chunk, then waits for the test',
      async *handler() {
        yield 'first';
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        yield new Uint8Array([1, 2, 3]);
        return 'done';
      },
    }),
    wait: tool({
      async *handler(_args, ctx) {
        yield 'started';
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
        interrupted++;
      },
    }),
    steps: tool({
      description: 'two chunks, waits for the test, two more',
      async *handler(_args, ctx) {
        begun.set(ctx.messageId, (begun.get(ctx.messageId) ?? 0) + 1);
        yield 0;
        yield 1;
        await new Promise<void>((resolve) => {
          gates.set(ctx.messageId, resolve);
          ctx.signal.addEventListener('abort', () => resolve(), { once: true });
        });
        if (ctx.signal.aborted) throw ctx.signal.reason;
        yield 2;
        yield 3;
        ended.set(ctx.messageId, (ended.get(ctx.messageId) ?? 0) + 1);
        return 'stepped';
      },
    }),
    fail: tool({ handler: () => { throw new ProtocolError(418, 'teapot', { data: { why: 1 } }); } }),
    state: tool({ handler: (_a, ctx) => { ctx.defineTool('later', { handler: () => 'later ok' }); return 'defined'; } }),
  },
});

let fn: NodeFunctionServer;
beforeAll(async () => {
  fn = await serveFunction(functionHandler(agent, { secret: SECRET }));
});
afterAll(() => fn.close());

const base = { cid: '01JCONNECTION0000000000000', principal: 'p1', deadline: undefined, state: undefined, ns: '/', agent: 'a1', traceparent: undefined, callback: undefined } as const;

async function post(body: Uint8Array, opts: { secret?: string; signal?: AbortSignal; type?: string } = {}): Promise<Response> {
  const headers = await signRequest(opts.secret ?? SECRET, 'POST', 'invoke', body);
  return fetch(new URL('invoke', fn.url), { method: 'POST', body, headers: { ...headers, 'content-type': opts.type ?? 'application/json' }, ...(opts.signal ? { signal: opts.signal } : {}) });
}

async function* frames(response: Response, codec = json): AsyncGenerator<RelayFrame> {
  const reader = new RelayFrameReader(codec);
  if (!response.body) return;
  for await (const bytes of response.body) yield* reader.push(bytes);
}

async function all(response: Response): Promise<RelayFrame[]> {
  const out: RelayFrame[] = [];
  for await (const f of frames(response)) out.push(f);
  return out;
}

describe('functionHandler over node:http', () => {
  it('lists the agent and its tools on a signed GET /tools', async () => {
    const headers = await signRequest(SECRET, 'GET', 'tools', new Uint8Array(0));
    const res = await fetch(new URL('tools', fn.url), { headers });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { agent: { name: string; version: string }; tools: Array<{ name: string }> };
    expect(body.agent).toEqual({ name: 'fn', version: '2.0.0' });
    expect(body).toMatchObject({ codecs: ['msgpack', 'json'] });
    expect(body.tools.map((t) => t.name)).toEqual(['echo', 'slow', 'wait', 'steps', 'fail', 'state']);
  });

  it('answers a unary call with one RESULT frame and metrics', async () => {
    const res = await post(encodeInvokeRequest({ ...base, id: 'm1', tool: 'echo', args: { x: 1 }, delivery: 'at-least-once' }, json));
    expect(res.headers.get('content-type')).toBe(FRAMES_CONTENT_TYPE);
    const got = await all(res);
    expect(got).toHaveLength(1);
    const [result] = got;
    expect(result?.type).toBe(RelayFrameType.RESULT);
    if (result?.type !== RelayFrameType.RESULT) return;
    expect(result.result).toEqual({ x: 1 });
    expect(result.metrics?.chunks).toBe(0);
    expect(typeof result.metrics?.cpuMs).toBe('number');
  });

  it('streams: the first chunk arrives while the handler still runs; bytes go as CHUNK_BYTES', async () => {
    const res = await post(encodeInvokeRequest({ ...base, id: 'm2', tool: 'slow', args: {}, delivery: 'at-least-once' }, json));
    const it = frames(res);
    const first = await it.next();
    expect(first.value).toEqual({ type: RelayFrameType.CHUNK, data: 'first' });
    expect(release).toBeTypeOf('function');
    release?.();
    const rest: RelayFrame[] = [];
    for await (const f of it) rest.push(f);
    expect(rest[0]).toEqual({ type: RelayFrameType.CHUNK_BYTES, data: new Uint8Array([1, 2, 3]) });
    expect(rest[1]?.type).toBe(RelayFrameType.RESULT);
  });

  it('ends with ERROR frames for an unknown tool (404), bad arguments (422) and a handler error (its code and data)', async () => {
    const codes = [];
    for (const [tool, args] of [['nope', {}], ['echo', { x: 'no' }], ['fail', {}]] as const) {
      const got = await all(await post(encodeInvokeRequest({ ...base, id: `e-${tool}`, tool, args, delivery: 'at-most-once' }, json)));
      const last = got.at(-1);
      if (last?.type !== RelayFrameType.ERROR) throw new Error(`no ERROR for ${tool}`);
      codes.push([last.code, last.data]);
    }
    expect(codes).toEqual([[404, undefined], [422, undefined], [418, { why: 1 }]]);
  });

  it('speaks MessagePack when the request does: binary arguments and results go through', async () => {
    const blob = new Uint8Array(70_000).map((_, i) => i % 251);
    const body = encodeInvokeRequest({ ...base, id: 'mp', tool: 'echo', args: { x: 1, blob }, delivery: 'at-least-once' }, msgpack);
    const res = await post(body, { type: CONTENT_TYPES.msgpack });
    const got: RelayFrame[] = [];
    for await (const f of frames(res, msgpack)) got.push(f);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ type: RelayFrameType.RESULT, result: { x: 1 } });
    const back = got[0]?.type === RelayFrameType.RESULT ? (got[0].result as { blob: Uint8Array }).blob : undefined;
    expect(Buffer.from(back ?? []).equals(Buffer.from(blob))).toBe(true);
    expect((await post(body, { type: 'text/plain' })).status).toBe(415);
  });

  it('accepts the compatibility body {cid, payload}', async () => {
    const got = await all(await post(encodeCompatRequest({ cid: 'c', id: 'm3', tool: 'echo', args: { x: 7 }, delivery: 'exactly-once', traceparent: undefined })));
    expect(got).toMatchObject([{ type: RelayFrameType.RESULT, result: { x: 7 } }]);
  });

  it('a tool defined by a handler is announced in the answer and callable by that connection only', async () => {
    const got = await all(await post(encodeInvokeRequest({ ...base, id: 'm4', tool: 'state', args: {}, delivery: 'at-least-once' }, json)));
    expect(got.map((f) => f.type)).toEqual([RelayFrameType.TOOL_DEF, RelayFrameType.RESULT]);
    const mine = await all(await post(encodeInvokeRequest({ ...base, id: 'm5', tool: 'later', args: {}, delivery: 'at-least-once' }, json)));
    expect(mine).toMatchObject([{ type: RelayFrameType.RESULT, result: 'later ok' }]);
    const other = await all(await post(encodeInvokeRequest({ ...base, cid: 'another', id: 'm6', tool: 'later', args: {}, delivery: 'at-least-once' }, json)));
    expect(other).toMatchObject([{ type: RelayFrameType.ERROR, code: 404 }]);
  });

  it('aborting the request fires ctx.signal', async () => {
    const abort = new AbortController();
    const res = await post(encodeInvokeRequest({ ...base, id: 'm7', tool: 'wait', args: {}, delivery: 'at-least-once' }, json), { signal: abort.signal });
    const it = frames(res);
    expect((await it.next()).value).toEqual({ type: RelayFrameType.CHUNK, data: 'started' });
    const before = interrupted;
    abort.abort();
    await expect.poll(() => interrupted, { timeout: 10_000 }).toBe(before + 1);
  });

  it('refuses a bad signature, a stale timestamp and a missing one with 401; bad bodies with 400; other paths 404/405', async () => {
    const body = encodeInvokeRequest({ ...base, id: 'm8', tool: 'echo', args: { x: 1 }, delivery: 'at-least-once' }, json);
    expect((await post(body, { secret: 'wrong' })).status).toBe(401);
    const stale = await signRequest(SECRET, 'POST', 'invoke', body, Date.now() - 600_000);
    expect((await fetch(new URL('invoke', fn.url), { method: 'POST', body, headers: stale })).status).toBe(401);
    expect((await fetch(new URL('invoke', fn.url), { method: 'POST', body })).status).toBe(401);
    expect((await post(new TextEncoder().encode('{"v":2}'))).status).toBe(400);
    expect((await post(new TextEncoder().encode('not json'))).status).toBe(400);
    expect((await fetch(new URL('elsewhere', fn.url))).status).toBe(404);
    expect((await fetch(new URL('invoke', fn.url))).status).toBe(405);
  });
});

describe('the node:http adapter', () => {
  it('answers 413 to a body past its limit, declared or streamed without a length, and keeps serving', async () => {
    const small = await serveFunction(functionHandler(agent, { secret: SECRET }), { maxBodyBytes: 1024 });
    try {
      const big = new Uint8Array(4096);
      const declared = await fetch(new URL('invoke', small.url), { method: 'POST', body: big, headers: { 'content-type': CONTENT_TYPES.json } });
      expect(declared.status).toBe(413);
      expect(await declared.text()).toContain('exceeds 1024 bytes');
      const streamed = await fetch(new URL('invoke', small.url), {
        method: 'POST',
        body: new ReadableStream({
          start(c) {
            for (let i = 0; i < 8; i++) c.enqueue(new Uint8Array(512));
            c.close();
          },
        }),
        headers: { 'content-type': CONTENT_TYPES.json },
        duplex: 'half',
      } as RequestInit);
      expect(streamed.status).toBe(413);
      // A request within the limit still runs.
      const body = encodeInvokeRequest({ ...base, id: 'm-small', tool: 'echo', args: { x: 1 }, delivery: 'at-least-once' }, json);
      const ok = await fetch(new URL('invoke', small.url), {
        method: 'POST',
        body,
        headers: { ...(await signRequest(SECRET, 'POST', 'invoke', body)), 'content-type': CONTENT_TYPES.json },
      });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-type')).toBe(FRAMES_CONTENT_TYPE);
      await ok.arrayBuffer();
    } finally {
      await small.close();
    }
  });
});

describe('serveFunction with a handler of its own', () => {
  it('serves any fetch handler through web Request/Response, with the same bytes as functionHandler’s direct path', async () => {
    const handler = functionHandler(agent, { secret: SECRET });
    const direct = await serveFunction(handler);
    const wrapped = await serveFunction((request) => handler(request));
    try {
      const answers: Uint8Array[] = [];
      for (const server of [direct, wrapped]) {
        const body = encodeInvokeRequest({ ...base, id: 'same-bytes', tool: 'echo', args: { x: 7 }, delivery: 'at-most-once' }, msgpack);
        const res = await fetch(new URL('invoke', server.url), {
          method: 'POST',
          body,
          headers: { ...(await signRequest(SECRET, 'POST', 'invoke', body)), 'content-type': CONTENT_TYPES.msgpack },
        });
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe(FRAMES_CONTENT_TYPE);
        answers.push(new Uint8Array(await res.arrayBuffer()));
        const missing = await fetch(new URL('nowhere', server.url));
        expect(missing.status).toBe(404);
        expect(await missing.json()).toEqual({ error: { code: 404, message: 'no endpoint /nowhere' } });
      }
      const frames = answers.map((bytes) => new RelayFrameReader(msgpack, 1 << 20).push(bytes).map((f) => ({ ...f, metrics: undefined })));
      expect(frames[0]).toEqual(frames[1]);
      expect(frames[0]?.at(-1)).toMatchObject({ type: RelayFrameType.RESULT, result: { x: 7 } });
    } finally {
      await direct.close();
      await wrapped.close();
    }
  });

  it('an exactly-once call outlives its dropped request: a later request with its id follows it from the first frame, and it runs once', async () => {
    const body = encodeInvokeRequest({ ...base, id: 'eo1', tool: 'steps', args: {}, delivery: 'exactly-once' }, json);
    const abort = new AbortController();
    const it = frames(await post(body, { signal: abort.signal }));
    expect((await it.next()).value).toEqual({ type: RelayFrameType.CHUNK, data: 0 });
    abort.abort(); // the relay that made the request died
    await expect.poll(() => gates.has('eo1')).toBe(true);
    const again = await post(body); // the call resumed through another relay
    const following = all(again);
    gates.get('eo1')?.();
    const got = await following;
    expect(got.map((f) => (f.type === RelayFrameType.CHUNK ? f.data : f.type))).toEqual([0, 1, 2, 3, RelayFrameType.RESULT]);
    expect(got.at(-1)).toMatchObject({ result: 'stepped' });
    // Finished: one more request gets every frame again, without a run.
    expect((await all(await post(body))).map((f) => f.type)).toEqual([1, 1, 1, 1, RelayFrameType.RESULT]);
    expect([begun.get('eo1'), ended.get('eo1')]).toEqual([1, 1]);
    // Another principal's call with the same id is another call.
    const otherBody = encodeInvokeRequest({ ...base, principal: 'p2', id: 'eo1', tool: 'steps', args: {}, delivery: 'exactly-once' }, json);
    const other = all(await post(otherBody));
    await expect.poll(() => begun.get('eo1')).toBe(2);
    gates.get('eo1')?.();
    expect((await other).at(-1)).toMatchObject({ result: 'stepped' });
  });

  it('POST cancel stops an exactly-once call (the client interrupted it): its followers get ERROR 499', async () => {
    const body = encodeInvokeRequest({ ...base, id: 'eo2', tool: 'steps', args: {}, delivery: 'exactly-once' }, json);
    const following = all(await post(body));
    await expect.poll(() => gates.has('eo2')).toBe(true);
    const cancel = encodeCancelRequest({ id: 'eo2', principal: 'p1' }, json);
    const res = await fetch(new URL('cancel', fn.url), {
      method: 'POST',
      body: cancel,
      headers: { ...(await signRequest(SECRET, 'POST', 'cancel', cancel)), 'content-type': 'application/json' },
    });
    expect(res.status).toBe(204);
    expect((await following).at(-1)).toMatchObject({ type: RelayFrameType.ERROR, code: 499 });
    expect(ended.get('eo2')).toBeUndefined();
    // Unsigned: refused like any request.
    expect((await fetch(new URL('cancel', fn.url), { method: 'POST', body: cancel, headers: { 'content-type': 'application/json' } })).status).toBe(401);
  });
});
