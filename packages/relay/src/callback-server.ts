import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AgentSocketBaseError, type Call, type Codec, type Delivery, ProtocolError, type ToolInfo, wireCodeOf } from '@agentsocket/core';
import { expectRecord, isRecord, optNum, optStr, optUint, str } from '@agentsocket/core/internal';
import { codecOfContentType, deliveryFromWire, encodeRelayFrame, relayCodec, FRAMES_CONTENT_TYPE, parseTools, RelayFrameType } from '@agentsocket/function';
import { checkToken, type TokenClaims } from './token.js';

/** What the callback API does to a connection; the relay implements it (docs/relay.md §5.2). */
export interface CallbackActions {
  /**
   * Where the connection's session is: held here (connected or waiting to be resumed), held by
   * another relay of the cluster (reachable through the hub for `messages` and `invoke`), or gone.
   */
  locate(claims: TokenClaims): Promise<'here' | 'elsewhere' | 'gone'>;
  /** A MESSAGE to a session another relay holds; resolves with how many sessions got it. */
  messageElsewhere(claims: TokenClaims, event: string, data: unknown, delivery: Delivery): Promise<number>;
  /** An invoke on the client of a session another relay holds. */
  invokeElsewhere(claims: TokenClaims, tool: string, args: unknown, options: InvokeOptions): Call;
  tools(cid: string, tools: ToolInfo[], removed: string[]): void;
  message(cid: string, event: string, data: unknown, delivery: Delivery): void;
  state(cid: string, state: string | null): void;
  close(cid: string, reason: string): void;
  invoke(cid: string, tool: string, args: unknown, options: InvokeOptions): Call;
  /**
   * Hands a `tools`, `messages`, `state` or `close` callback to the relay of the cluster that
   * holds the connection, resolving with its answer. Absent without a cluster: `messages` then go
   * through the hub and the rest are answered 410.
   */
  forward?(claims: TokenClaims, action: string, body: Record<string, unknown>): Promise<{ status: number; message: string }>;
  /** Whether this relay holds the connection now. */
  holds(cid: string): boolean;
}

export interface CallbackServerOptions {
  secret: string;
  /** Largest request body, bytes (413 above). @default 1 MiB */
  maxBodyBytes?: number;
  host?: string;
  port?: number;
}

type InvokeOptions = { delivery: Delivery; timeoutMs?: number; signal: AbortSignal; metrics?: boolean };
type StartInvoke = (tool: string, args: unknown, options: InvokeOptions) => Call;

const ACTIONS = new Set(['tools', 'messages', 'state', 'close', 'invoke']);

/** A refused callback request: `status` is the HTTP status it is answered with. */
class HttpError extends AgentSocketBaseError {
  override readonly name: string = 'HttpError';

  constructor(
    readonly status: number,
    message: string,
  ) {
    super(status, message);
  }
}

/** The relay's callback API over node:http. */
export class CallbackServer {
  readonly server: Server;
  private readonly maxBodyBytes: number;

  constructor(
    private readonly actions: CallbackActions,
    private readonly options: CallbackServerOptions,
  ) {
    this.maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
    this.server = createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        const status = error instanceof HttpError ? error.status : 500;
        fail(res, status, error instanceof Error ? error.message : String(error));
      });
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => resolve());
    });
    const address = this.server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${host}:${address.port}/`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const match = /^\/connections\/([^/]+)\/([a-z]+)$/.exec(new URL(req.url ?? '/', 'http://relay').pathname);
    const action = match?.[2];
    if (!match || action === undefined || !ACTIONS.has(action)) throw new HttpError(404, 'no such callback endpoint');
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      throw new HttpError(405, 'callbacks take POST');
    }
    const cid = decodeURIComponent(match[1] ?? '');
    // Authentication first: a request without a valid token learns nothing, not even whether the connection exists.
    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice(7).trim() : undefined;
    if (token === undefined) {
      res.setHeader('www-authenticate', 'Bearer');
      throw new HttpError(401, 'missing bearer token');
    }
    const check = checkToken(this.options.secret, token);
    if (!check.ok) {
      res.setHeader('www-authenticate', 'Bearer error="invalid_token"');
      throw new HttpError(401, check.reason);
    }
    if (check.cid !== cid) throw new HttpError(403, 'the token is for another connection');
    const { body, codec } = await readBody(req, this.maxBodyBytes);
    const where = await this.actions.locate(check);
    if (where === 'gone') throw new HttpError(410, 'the connection is gone');
    const r = shape(() => expectRecord(body, 'body'));
    if (where === 'elsewhere') {
      await this.elsewhere(check, action, r, codec, res);
      return;
    }
    if (action === 'invoke') {
      await this.invoke(cid, r, codec, res);
      return;
    }
    this.apply(cid, action, r);
    res.writeHead(204).end();
  }

  /** `tools`, `messages`, `state` or `close` on a connection this relay holds; throws HttpError 400 for a bad body. */
  private apply(cid: string, action: string, r: Record<string, unknown>): void {
    switch (action) {
      case 'tools': {
        const tools = shape(() => parseTools(r['tools']));
        const removed = shape(() => names(r['removed']));
        this.actions.tools(cid, tools, removed);
        break;
      }
      case 'messages': {
        const event = shape(() => str(r, 'event', 'body'));
        if (event === '') throw new HttpError(400, 'event must not be empty');
        this.actions.message(cid, event, r['data'] ?? null, shape(() => deliveryFromWire(optUint(r, 'dl', 'body'), 'body')));
        break;
      }
      case 'state': {
        const state = r['state'];
        if (state !== null && typeof state !== 'string') throw new HttpError(400, 'state must be a string or null');
        this.actions.state(cid, state);
        break;
      }
      case 'close':
        this.actions.close(cid, shape(() => optStr(r, 'reason', 'body')) ?? 'closed by the function');
        break;
      default:
        throw new HttpError(404, 'no such callback endpoint');
    }
  }

  /**
   * A callback another relay received and handed over (docs/relay.md §5.4): applied as if it had
   * come here, answered with its status; 421 when this relay no longer holds the connection.
   */
  async applyForwarded(cid: string, action: string, body: Record<string, unknown>): Promise<{ status: number; message: string }> {
    if (!this.actions.holds(cid)) return { status: 421, message: 'not held here' };
    try {
      this.apply(cid, action, body);
      return { status: 204, message: '' };
    } catch (error) {
      return { status: error instanceof HttpError ? error.status : 500, message: error instanceof Error ? error.message : String(error) };
    }
  }

  /**
   * A session another relay holds: with a cluster bus, everything but invoke is handed to that relay;
   * invokes (and, without a bus, messages) go through the hub; the rest cannot (410).
   */
  private async elsewhere(claims: TokenClaims, action: string, r: Record<string, unknown>, codec: Codec, res: ServerResponse): Promise<void> {
    if (action !== 'invoke' && this.actions.forward) {
      const answer = await this.actions.forward(claims, action, r);
      if (answer.status === 204) {
        res.writeHead(204).end();
        return;
      }
      throw new HttpError(answer.status, answer.message);
    }
    if (action === 'messages') {
      const event = shape(() => str(r, 'event', 'body'));
      if (event === '') throw new HttpError(400, 'event must not be empty');
      const delivered = await this.actions.messageElsewhere(claims, event, r['data'] ?? null, shape(() => deliveryFromWire(optUint(r, 'dl', 'body'), 'body')));
      if (delivered === 0) throw new HttpError(410, 'the connection is gone');
      res.writeHead(204).end();
      return;
    }
    if (action === 'invoke') {
      await this.invoke(claims.cid, r, codec, res, (tool, args, options) => this.actions.invokeElsewhere(claims, tool, args, options));
      return;
    }
    throw new HttpError(410, `the connection is held by another relay, which alone can take "${action}"`);
  }

  /** Invokes a tool on the client and streams its answer back as frames (docs/relay.md §5.2). */
  private async invoke(
    cid: string,
    r: Record<string, unknown>,
    codec: Codec,
    res: ServerResponse,
    start: StartInvoke = (tool, args, options) => this.actions.invoke(cid, tool, args, options),
  ): Promise<void> {
    const tool = shape(() => str(r, 'tool', 'body'));
    const delivery = shape(() => deliveryFromWire(optUint(r, 'dl', 'body'), 'body'));
    const timeoutMs = shape(() => optNum(r, 'timeoutMs', 'body'));
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) abort.abort(new ProtocolError(499, 'the function dropped the callback'));
    });
    // RESULT carries the client's metrics (relay.md §5.2): ask for them, the lean envelope sends them only when asked.
    const call = start(tool, r['args'] ?? {}, { delivery, signal: abort.signal, metrics: true, ...(timeoutMs === undefined ? {} : { timeoutMs }) });
    res.writeHead(200, { 'content-type': FRAMES_CONTENT_TYPE, 'cache-control': 'no-store' });
    let chunks = 0;
    try {
      for await (const data of call) {
        res.write(encodeRelayFrame(data instanceof Uint8Array ? { type: RelayFrameType.CHUNK_BYTES, data } : { type: RelayFrameType.CHUNK, data }, codec));
        chunks++;
      }
      const { value, metrics } = await call.result;
      res.end(encodeRelayFrame({ type: RelayFrameType.RESULT, result: value, metrics }, codec));
    } catch (error) {
      const { code, message, data } = wireError(error);
      res.end(encodeRelayFrame({ type: RelayFrameType.ERROR, code, message, data, metrics: { durationMs: 0, chunks } }, codec));
    }
  }
}

function wireError(error: unknown): { code: number; message: string; data: unknown } {
  if (error instanceof ProtocolError) return { code: error.code, message: error.message, data: error.data };
  return { code: wireCodeOf(error), message: error instanceof Error ? error.message : String(error), data: undefined };
}

function shape<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    throw new HttpError(400, error instanceof Error ? error.message : String(error));
  }
}

function names(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((n) => typeof n === 'string')) throw new Error('removed must be an array of strings');
  return value;
}

async function readBody(req: IncomingMessage, limit: number): Promise<{ body: unknown; codec: Codec }> {
  const name = codecOfContentType(req.headers['content-type']);
  if (name === undefined) throw new HttpError(415, 'callbacks take application/json or application/msgpack');
  const codec = relayCodec(name);
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > limit) throw new HttpError(413, `body of ${declared} bytes exceeds ${limit}`);
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of req) {
    const buf = part as Buffer;
    size += buf.byteLength;
    if (size > limit) throw new HttpError(413, `body exceeds ${limit} bytes`);
    parts.push(buf);
  }
  try {
    const value = codec.decode(Buffer.concat(parts));
    if (!isRecord(value)) throw new Error('the body must be a map');
    return { body: value, codec };
  } catch (error) {
    throw new HttpError(400, `bad ${name} body: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function fail(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // The rest of an oversized body is not read; close the connection rather than drain it.
  if (status === 413) res.setHeader('connection', 'close');
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: status, message } }));
}
