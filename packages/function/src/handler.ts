import { type Agent, type Codec, type DedupStore, MemoryDedupStore, ProtocolError, idempotent, type ToolDefinition, ToolRegistry } from '@agentsocket/core';
import { codecOfContentType, relayCodec } from './codec.js';
import { RelayCallbacks } from './callback-client.js';
import { FunctionContext } from './context.js';
import { FollowedRun, MAX_KEPT_BYTES, RUN_RETENTION_MS } from './followed-run.js';
import { encodeRelayFrame, FRAMES_CONTENT_TYPE, type RelayFrame, RelayFrameType } from './frames.js';
import { type InvokeRequest, parseCancelRequest, parseInvokeRequest } from './request.js';
import { run } from './run.js';
import { DEFAULT_MAX_SKEW_MS, verifyRequest } from './sign.js';

export interface FunctionHandlerOptions {
  /** The secret shared with the relay; every request must carry its signature (docs/relay.md §2). */
  secret?: string;
  /** Accept unsigned requests. Only for local development. @default false */
  allowUnsigned?: boolean;
  /** Largest timestamp skew accepted, ms. @default 300000 */
  maxSkewMs?: number;
  /** Largest request body accepted, bytes (HTTP 413 above). @default 16 MiB */
  maxBodyBytes?: number;
  /** Connections whose tools defined with ctx.defineTool this instance remembers, oldest dropped first. @default 10000 */
  maxConnections?: number;
  /**
   * While a handler runs, a KEEPALIVE frame goes out when nothing else was written for this long, ms,
   * so a request the relay dropped is noticed (workerd notices a gone client only when writing). 0: never.
   * @default 1000
   */
  keepAliveMs?: number;
  /** fetch used for the callback API. @default globalThis.fetch */
  fetch?: typeof fetch;
  /**
   * Where `ctx.once` records its effects. The default remembers them in this instance only; give
   * a shared store (e.g. `@agentsocket/redis`'s) where several instances serve one agent.
   * @default a MemoryDedupStore per handler
   */
  dedup?: DedupStore;
  /**
   * Bytes of frames an exactly-once call keeps so that a request resuming it (through another
   * relay) gets them all; a call that writes more cannot be followed (docs/relay.md §8). @default 16 MiB
   */
  maxKeptBytes?: number;
}

export type FetchHandler = (request: Request) => Promise<Response>;

/**
 * One request as the handler needs it, without a web `Request`: what `toNodeListener` builds from
 * node:http directly (a `Request` and a `ReadableStream` per call cost more than a small call).
 * @internal
 */
export interface PlainRequest {
  method: string;
  pathname: string;
  /** A header by lowercase name. */
  header(name: string): string | null;
  body: Uint8Array;
}

/** Where a streamed answer's frames go. @internal */
export interface FrameSink {
  write(bytes: Uint8Array): void;
  close(): void;
}

/**
 * The handler's answer: a JSON body, or frames streamed into a sink (`start` returns the function
 * to call when the reader goes away before the end). @internal
 */
export type PlainAnswer = JsonAnswer | { status: 200; headers: Record<string, string>; start(sink: FrameSink): () => void };

/** @internal */
export interface JsonAnswer {
  status: number;
  headers: Record<string, string>;
  json: unknown;
}

/** The runtime-neutral handler behind a FetchHandler, found on it under this key. @internal */
export const PLAIN_HANDLER = Symbol.for('@agentsocket/function.plainHandler');

/** @internal */
export type PlainHandler = (request: PlainRequest) => Promise<PlainAnswer>;

/**
 * Serves an agent as a Web-standard fetch handler: `POST …/invoke` runs one call and streams its
 * frames, `GET …/tools` lists the tools (docs/relay.md). Runs on Node (see `@agentsocket/function/node`),
 * workerd and any runtime with fetch, streams and WebCrypto.
 */
export function functionHandler(agent: Agent, options: FunctionHandlerOptions = {}): FetchHandler {
  if (options.secret === undefined && options.allowUnsigned !== true) {
    throw new TypeError('functionHandler needs the secret shared with the relay (or allowUnsigned: true for local development)');
  }
  const maxBodyBytes = options.maxBodyBytes ?? 16 * 1024 * 1024;
  const maxConnections = options.maxConnections ?? 10_000;
  const fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  // Tools a handler defined for one connection; they live as long as this instance (docs/relay.md §6).
  const perConnection = new Map<string, ToolRegistry>();
  const dedup = options.dedup ?? new MemoryDedupStore();
  // Exactly-once calls running here (and finished ones, for a while), by principal and message id.
  const runs = new Map<string, FollowedRun>();
  const runKey = (principal: string | undefined, id: string) => `${principal ?? ''}:${id}`;

  const registryFor = (cid: string): ToolRegistry => {
    let registry = perConnection.get(cid);
    if (!registry) {
      registry = new ToolRegistry();
      perConnection.set(cid, registry);
      if (perConnection.size > maxConnections) {
        const oldest = perConnection.keys().next().value;
        if (oldest !== undefined) perConnection.delete(oldest);
      }
    }
    return registry;
  };

  const plain: PlainHandler = async (request) => {
    const { pathname } = request;
    const endpoint = pathname.endsWith('/invoke') ? 'invoke' : pathname.endsWith('/tools') ? 'tools' : pathname.endsWith('/cancel') ? 'cancel' : undefined;
    if (endpoint === undefined) return httpError(404, `no endpoint ${pathname}`);
    const method = endpoint === 'tools' ? 'GET' : 'POST';
    if (request.method !== method) return httpError(405, `${endpoint} takes ${method}`, { allow: method });
    const { body } = request;
    if (body.byteLength > maxBodyBytes) return httpError(413, `body of ${body.byteLength} bytes exceeds ${maxBodyBytes}`);
    if (options.secret !== undefined) {
      const headers = { get: request.header };
      const check = await verifyRequest(options.secret, headers, method, endpoint, body, { maxSkewMs: options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS });
      if (!check.ok) return httpError(401, `bad signature: ${check.reason}`);
    }
    if (endpoint === 'tools') {
      const info: Record<string, unknown> = { name: agent.name };
      if (agent.version !== undefined) info['version'] = agent.version;
      return { status: 200, headers: {}, json: { agent: info, tools: agent.tools, codecs: ['msgpack', 'json'] } };
    }
    const codecName = codecOfContentType(request.header('content-type'));
    if (codecName === undefined) return httpError(415, `${endpoint} takes application/json or application/msgpack`);
    const codec = relayCodec(codecName);
    if (endpoint === 'cancel') {
      let target: { id: string; principal: string | undefined };
      try {
        target = parseCancelRequest(codec.decode(body));
      } catch (error) {
        return httpError(400, `bad request body: ${error instanceof Error ? error.message : String(error)}`);
      }
      const found = runs.get(runKey(target.principal, target.id));
      if (found && !found.done) found.abort.abort(new ProtocolError(499, 'the client interrupted the call'));
      return { status: 204, headers: {}, json: undefined };
    }
    let call: InvokeRequest;
    try {
      call = parseInvokeRequest(codec.decode(body));
    } catch (error) {
      return httpError(400, `bad request body: ${error instanceof Error ? error.message : String(error)}`);
    }
    const own = registryFor(call.cid);
    const keepAliveMs = options.keepAliveMs ?? 1000;
    const headers = { 'content-type': FRAMES_CONTENT_TYPE, 'cache-control': 'no-store' };
    if (call.delivery !== 'exactly-once') {
      return { status: 200, headers, start: (sink) => respond(agent, call, codec, own, sink, fetchImpl, dedup, keepAliveMs) };
    }
    // Exactly-once: the call runs once here, whichever requests follow it (docs/relay.md §8).
    const key = runKey(call.principal, call.id);
    let shared = runs.get(key);
    if (!shared) {
      const started = new FollowedRun(codec.name, options.maxKeptBytes ?? MAX_KEPT_BYTES);
      shared = started;
      runs.set(key, started);
      if (runs.size > maxConnections) {
        for (const [k, r] of runs) {
          if (r.done) {
            runs.delete(k);
            break;
          }
        }
      }
      const forget = () => {
        setTimeout(() => {
          if (runs.get(key) === started) runs.delete(key);
        }, RUN_RETENTION_MS).unref?.();
      };
      startCall(agent, call, codec, own, started, fetchImpl, dedup, keepAliveMs, started.abort, forget);
    }
    const run = shared;
    return {
      status: 200,
      headers,
      start: (sink) => {
        if (run.codecName !== codec.name) {
          sink.write(encodeRelayFrame(errorFrame(409, `message ${call.id} is running with codec ${run.codecName}; follow it in that codec`), codec));
          sink.close();
          return () => {};
        }
        const stop = run.follow(sink);
        if (stop === false) {
          sink.write(encodeRelayFrame(errorFrame(503, `message ${call.id} is running here, but its first frames were not kept (over the byte limit); it cannot be followed`), codec));
          sink.close();
          return () => {};
        }
        return stop;
      },
    };
  };

  const handler: FetchHandler = async (request) => {
    const declared = Number(request.headers.get('content-length') ?? '0');
    if (declared > maxBodyBytes) return toResponse(httpError(413, `body of ${declared} bytes exceeds ${maxBodyBytes}`));
    const answer = await plain({
      method: request.method,
      pathname: new URL(request.url).pathname,
      header: (name) => request.headers.get(name),
      body: new Uint8Array(await request.arrayBuffer()),
    });
    if (!('start' in answer)) return toResponse(answer);
    let cancel: (() => void) | undefined;
    const stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        cancel = answer.start({
          write: (bytes) => controller.enqueue(bytes),
          close: () => controller.close(),
        });
      },
      // The relay dropped the request: INTERRUPT from the client, a deadline, or the relay going away.
      cancel: () => cancel?.(),
    });
    request.signal?.addEventListener('abort', () => cancel?.(), { once: true });
    return new Response(stream, { status: 200, headers: answer.headers });
  };
  Object.defineProperty(handler, PLAIN_HANDLER, { value: plain });
  return handler;
}

function toResponse(answer: JsonAnswer): Response {
  if (answer.status === 204) return new Response(null, { status: 204, headers: answer.headers });
  return Response.json(answer.json, { status: answer.status, headers: answer.headers });
}

/** Where a call's frames go: one request's body, or a run that requests follow. */
interface CallOutput {
  /** Frames are still wanted. */
  readonly live: boolean;
  /** A request is reading now (else TOOL_DEF and STATE go through the callback API). */
  readonly attached: boolean;
  /** `keep` is false for KEEPALIVE. */
  write(bytes: Uint8Array, keep: boolean): void;
  close(): void;
}

/** Starts the call, streaming its frames into `sink`; returns what stops it when the reader goes away. */
function respond(
  agent: Agent,
  call: InvokeRequest,
  codec: Codec,
  own: ToolRegistry,
  sink: FrameSink,
  fetchImpl: typeof fetch,
  dedup: DedupStore,
  keepAliveMs: number,
): () => void {
  const abort = new AbortController();
  let open = true;
  const out: CallOutput = {
    get live() {
      return open;
    },
    get attached() {
      return open;
    },
    write(bytes) {
      try {
        sink.write(bytes);
      } catch {
        open = false;
      }
    },
    close() {
      if (!open) return;
      open = false;
      try {
        sink.close();
      } catch {
        // cancelled meanwhile
      }
    },
  };
  startCall(agent, call, codec, own, out, fetchImpl, dedup, keepAliveMs, abort);
  return () => {
    if (!open) return;
    open = false;
    abort.abort(new ProtocolError(499, 'the relay ended the request'));
  };
}

/** Runs the call (validation, handler, keep-alives, deadline), writing its frames to `out`. */
function startCall(
  agent: Agent,
  call: InvokeRequest,
  codec: Codec,
  own: ToolRegistry,
  out: CallOutput,
  fetchImpl: typeof fetch,
  dedup: DedupStore,
  keepAliveMs: number,
  abort: AbortController,
  ended?: () => void,
): void {
  const callbacks = call.callback ? new RelayCallbacks(call.cid, call.callback, codec, fetchImpl) : undefined;
  let wrote = true;
  const write = (frame: RelayFrame): void => {
    if (!out.live) return;
    const bytes = encodeOrExplain(frame, codec);
    wrote = true;
    out.write(bytes, frame.type !== RelayFrameType.KEEPALIVE);
  };
  const host = {
    callbacks,
    once: <T>(key: string, effect: () => T | Promise<T>): Promise<T> =>
      idempotent(dedup, `${agent.name}:${call.principal ?? ''}:${call.id}#${key}`, effect, { signal: abort.signal }),
    defineTool(name: string, definition: ToolDefinition): void {
      const info = own.add(name, definition);
      if (out.attached) write({ type: RelayFrameType.TOOL_DEF, tools: [info], removed: [] });
      else void callbacks?.pushTools([info]).catch(() => {});
    },
    setState(state: string | null): void {
      if (out.attached) write({ type: RelayFrameType.STATE, state });
      else void callbacks?.setState(state).catch(() => {});
    },
  };
  const ctx = new FunctionContext(call, abort.signal, host);
  let deadline: ReturnType<typeof setTimeout> | undefined;
  if (call.deadline !== undefined) {
    deadline = setTimeout(() => abort.abort(new ProtocolError(504, 'the call passed its deadline')), Math.max(0, call.deadline - Date.now()));
  }
  const keepAlive =
    keepAliveMs > 0
      ? setInterval(() => {
          if (!wrote) write({ type: RelayFrameType.KEEPALIVE });
          wrote = false;
        }, keepAliveMs)
      : undefined;
  const entry = own.get(call.tool) ?? agent.registry.get(call.tool);
  void run(entry, call, ctx, abort.signal, write).finally(() => {
    if (deadline) clearTimeout(deadline);
    if (keepAlive) clearInterval(keepAlive);
    out.close();
    ended?.();
  });
}

function errorFrame(code: number, message: string): RelayFrame {
  return { type: RelayFrameType.ERROR, code, message, data: undefined, metrics: { durationMs: 0, chunks: 0 } };
}

const FRAME_NAMES: Record<number, string> = { 1: 'CHUNK', 2: 'CHUNK_BYTES', 3: 'RESULT', 4: 'ERROR', 5: 'TOOL_DEF', 6: 'STATE', 7: 'KEEPALIVE' };

/**
 * Encodes a frame. A value the codec cannot encode (a cycle, a BigInt) is the handler's error: a
 * CHUNK or RESULT throws ERROR 500 for run() to send instead, an ERROR goes without its data.
 */
function encodeOrExplain(frame: RelayFrame, codec: Codec): Uint8Array {
  try {
    return encodeRelayFrame(frame, codec);
  } catch (error) {
    const why = `${FRAME_NAMES[frame.type] ?? 'frame'} payload cannot be encoded as ${codec.name}: ${error instanceof Error ? error.message : String(error)}`;
    if (frame.type === RelayFrameType.ERROR) return encodeRelayFrame({ ...frame, data: undefined, message: `${frame.message} (data dropped: ${why})` }, codec);
    throw new ProtocolError(500, why, { cause: error });
  }
}

function httpError(status: number, message: string, headers: Record<string, string> = {}): JsonAnswer {
  return { status, headers, json: { error: { code: status, message } } };
}
