import { type Codec, DEFAULT_MAX_FRAME_BYTES, ErrorCode, ProtocolError, type ToolInfo } from '@agentsocket/core';
import { CONTENT_TYPES, FRAMES_CONTENT_TYPE, parseTools, type RelayFrame, RelayFrameError, RelayFrameReader, RelayFrameType, signRequest } from '@agentsocket/function';
import { type Dispatcher, Pool } from 'undici';

/** The relay's ERROR codes for a function that misbehaves (docs/relay.md §7); core's `ErrorCode` has both. */
export const BAD_GATEWAY: typeof ErrorCode.BAD_GATEWAY = ErrorCode.BAD_GATEWAY;
export const GATEWAY_TIMEOUT: typeof ErrorCode.GATEWAY_TIMEOUT = ErrorCode.GATEWAY_TIMEOUT;

export interface FunctionManifest {
  agent: { name: string; version?: string };
  tools: ToolInfo[];
  /** Codecs the function reads, as `GET /tools` lists them. @default ['json'] */
  codecs?: string[];
}

export interface FunctionClientOptions {
  secret: string;
  /**
   * Most connections open to the function at once; a call beyond it waits for a free one, behind
   * calls that may stream for minutes. Idle ones are kept alive and reused. @default no limit
   */
  connections?: number;
  /** Largest response frame accepted, bytes (ERROR 413 above). @default 16 MiB */
  maxFrameBytes?: number;
}

/** Calls one function endpoint over HTTP/1.1 keep-alive (undici) and reads its frames as they arrive. */
export class FunctionClient {
  private readonly pool: Pool;
  private readonly base: URL;
  private readonly invokePath: string;

  constructor(
    url: string | URL,
    private readonly options: FunctionClientOptions,
  ) {
    this.base = new URL(url);
    if (!this.base.pathname.endsWith('/')) this.base.pathname += '/';
    this.pool = new Pool(this.base.origin, { connections: options.connections ?? null, keepAliveTimeout: 30_000 });
    this.invokePath = new URL('invoke', this.base).pathname;
  }

  /** `GET /tools` (docs/relay.md §3.3). */
  async manifest(signal?: AbortSignal): Promise<FunctionManifest> {
    const headers = await signRequest(this.options.secret, 'GET', 'tools', new Uint8Array(0));
    const response = await this.request('GET', 'tools', headers, undefined, signal);
    if (response.statusCode !== 200) throw new ProtocolError(BAD_GATEWAY, `function answered GET /tools with HTTP ${response.statusCode}: ${await snippet(response.body)}`);
    let value: unknown;
    try {
      value = await response.body.json();
    } catch (error) {
      throw new ProtocolError(BAD_GATEWAY, `function answered GET /tools with something other than JSON: ${String(error)}`);
    }
    if (typeof value !== 'object' || value === null || !('agent' in value) || !('tools' in value)) {
      throw new ProtocolError(BAD_GATEWAY, 'function answered GET /tools without agent and tools');
    }
    const agent = value.agent;
    if (typeof agent !== 'object' || agent === null || !('name' in agent) || typeof agent.name !== 'string') {
      throw new ProtocolError(BAD_GATEWAY, 'function answered GET /tools without agent.name');
    }
    const version = 'version' in agent && typeof agent.version === 'string' ? agent.version : undefined;
    const codecs = 'codecs' in value && Array.isArray(value.codecs) ? value.codecs.filter((c): c is string => typeof c === 'string') : ['json'];
    return { agent: version === undefined ? { name: agent.name } : { name: agent.name, version }, tools: parseTools(value.tools), codecs };
  }

  /**
   * `POST /invoke` (docs/relay.md §3–4): yields each frame as soon as its last byte arrives; the
   * last one yielded is the terminal RESULT or ERROR. Throws ProtocolError 502/413 for a bad
   * answer; aborting `signal` drops the request.
   */
  async *invoke(body: Uint8Array, codec: Codec, signal: AbortSignal): AsyncGenerator<RelayFrame, void, undefined> {
    const contentType = codec.name === 'msgpack' ? CONTENT_TYPES.msgpack : CONTENT_TYPES.json;
    const headers = await signRequest(this.options.secret, 'POST', 'invoke', body);
    headers['content-type'] = contentType;
    if (signal.aborted) throw signal.reason;
    // undici's dispatch with a handler of our own: the frame reader is fed from the socket's
    // chunks, without a response stream and its async iterator per call.
    const answer = new InvokeAnswer(new RelayFrameReader(codec, this.options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES));
    const onAbort = () => answer.drop(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      try {
        this.pool.dispatch({ path: this.invokePath, method: 'POST', headers, body }, answer);
      } catch (error) {
        throw new ProtocolError(BAD_GATEWAY, `function unreachable: ${describe(error)}`);
      }
      for (;;) {
        const frame = answer.next();
        if (frame !== undefined) {
          yield frame;
          if (frame.type === RelayFrameType.RESULT || frame.type === RelayFrameType.ERROR) return; // nothing after the terminal frame is read
          continue;
        }
        if (answer.failure !== undefined) throw answer.failure;
        await answer.wait();
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      // After a terminal frame the end of the body is read (briefly) so the connection is kept
      // alive; an answer given up on is dropped with its connection.
      answer.settle();
    }
  }

  /**
   * `POST /cancel` (docs/relay.md §3.4): tells the function that the client interrupted an
   * exactly-once call, which outlives its request. Resolves with the HTTP status (0: unreachable);
   * never throws.
   */
  async cancel(body: Uint8Array, codec: Codec): Promise<number> {
    try {
      const contentType = codec.name === 'msgpack' ? CONTENT_TYPES.msgpack : CONTENT_TYPES.json;
      const headers = { ...(await signRequest(this.options.secret, 'POST', 'cancel', body)), 'content-type': contentType };
      const response = await this.request('POST', 'cancel', headers, body);
      await response.body.dump().catch(() => {});
      return response.statusCode;
    } catch {
      return 0;
    }
  }

  private async request(method: 'GET' | 'POST', endpoint: string, headers: Record<string, string>, body: Uint8Array | undefined, signal?: AbortSignal) {
    const path = new URL(endpoint, this.base).pathname;
    try {
      return await this.pool.request({ path, method, headers, ...(body === undefined ? {} : { body }), ...(signal ? { signal } : {}) });
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw new ProtocolError(BAD_GATEWAY, `function unreachable: ${describe(error)}`);
    }
  }

  close(): Promise<void> {
    return this.pool.destroy();
  }
}

async function snippet(body: { text(): Promise<string> }): Promise<string> {
  const text = await body.text().catch(() => '');
  return text.length > 200 ? `${text.slice(0, 200)}…` : text || '(empty body)';
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = 'code' in error && typeof error.code === 'string' ? `${error.code} ` : '';
    return `${code}${error.message}`;
  }
  return String(error);
}

/** Bytes of an error body read to quote its start (docs/relay.md §3.4 quotes 200 characters). */
const ERROR_BODY_BYTES = 64 * 1024;
/** After the terminal frame, the rest of the body is read for this long and this much only, to keep the connection. */
const TAIL_MS = 5_000;
const TAIL_BYTES = 64 * 1024;
/** Frames waiting for the reader before the socket is paused. */
const HIGH_WATER_FRAMES = 64;

/**
 * One `POST invoke` as undici's dispatch handler sees it: the status and content type are
 * checked, the body is cut into frames as it arrives, and the frames wait for the call's reader.
 * Failures become the ProtocolErrors of docs/relay.md §7.
 */
class InvokeAnswer implements Dispatcher.DispatchHandler {
  private readonly frames: RelayFrame[] = [];
  private head = 0;
  /** What ends the call instead of a terminal frame. */
  failure: unknown;
  private wake: (() => void) | undefined;
  private abortRequest: ((reason?: unknown) => void) | undefined;
  private resumeSocket: (() => void) | undefined;
  private paused = false;
  /** 0: before the response head; 1: frames; 2: an error answer (its body quoted); 3: after the terminal frame; 4: over. */
  private phase = 0;
  private status = 0;
  private errorBody: Uint8Array[] | undefined;
  private errorBytes = 0;
  private tailBytes = 0;
  private tailTimer: ReturnType<typeof setTimeout> | undefined;
  /** The reader went away (or the signal fired) before the answer ended: the request is to be dropped. */
  private dropped = false;

  constructor(private readonly reader: RelayFrameReader) {}

  // ---- the call's side ----

  next(): RelayFrame | undefined {
    if (this.head === this.frames.length) return undefined;
    const frame = this.frames[this.head];
    this.frames[this.head++] = undefined as unknown as RelayFrame;
    if (this.head === this.frames.length) {
      this.frames.length = 0;
      this.head = 0;
      if (this.paused) {
        this.paused = false;
        this.resumeSocket?.();
      }
    }
    return frame;
  }

  wait(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }

  /** The call's signal fired: drop the request, and end the call with the signal's reason. */
  drop(reason: unknown): void {
    if (this.phase === 3 || this.phase === 4) return;
    this.fail(reason);
    this.dropRequest(reason);
  }

  /** The reader is done: keep reading a tail after the terminal frame, else drop the request. */
  settle(): void {
    if (this.phase === 3) {
      if (this.tailTimer === undefined) {
        this.tailTimer = setTimeout(() => this.dropRequest(new Error('tail read for too long')), TAIL_MS);
        this.tailTimer.unref?.();
      }
      return;
    }
    if (this.phase !== 4) this.dropRequest(new Error('the call no longer reads the answer'));
  }

  private dropRequest(reason: unknown): void {
    this.dropped = true;
    this.phase = 4;
    this.clearTail();
    this.abortRequest?.(reason);
  }

  private fail(error: unknown): void {
    if (this.failure === undefined) this.failure = error;
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private clearTail(): void {
    if (this.tailTimer !== undefined) clearTimeout(this.tailTimer);
    this.tailTimer = undefined;
  }

  // ---- undici's side ----

  onConnect(abort: (err?: Error) => void): void {
    this.abortRequest = abort as (reason?: unknown) => void;
    if (this.dropped) abort();
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[] | string[] | null, resume: () => void): boolean {
    this.resumeSocket = resume;
    this.status = statusCode;
    if (statusCode !== 200) {
      this.phase = 2;
      this.errorBody = [];
      return true;
    }
    const type = contentTypeOf(rawHeaders);
    if (type?.split(';')[0]?.trim().toLowerCase() !== FRAMES_CONTENT_TYPE) {
      this.drop(new ProtocolError(BAD_GATEWAY, `function answered with content-type ${type ?? '(none)'}, expected ${FRAMES_CONTENT_TYPE}`));
      return false;
    }
    this.phase = 1;
    return true;
  }

  onData(chunk: Buffer): boolean {
    switch (this.phase) {
      case 1:
        break;
      case 2:
        if (this.errorBytes < ERROR_BODY_BYTES) {
          this.errorBody?.push(chunk);
          this.errorBytes += chunk.byteLength;
        }
        return true;
      case 3:
        this.tailBytes += chunk.byteLength;
        if (this.tailBytes > TAIL_BYTES) {
          this.dropRequest(new Error('tail too long'));
          return false;
        }
        return true;
      default:
        return false;
    }
    let frames: RelayFrame[];
    try {
      frames = this.reader.push(chunk);
    } catch (error) {
      const failure =
        error instanceof RelayFrameError && error.tooLarge
          ? new ProtocolError(ErrorCode.FRAME_TOO_LARGE, `function sent a ${error.message}`)
          : new ProtocolError(BAD_GATEWAY, `function sent a bad frame: ${error instanceof Error ? error.message : String(error)}`);
      this.drop(failure);
      return false;
    }
    for (const frame of frames) this.frames.push(frame);
    if (this.reader.ended) this.phase = 3;
    if (frames.length > 0) this.notify();
    if (this.phase === 1 && this.frames.length - this.head >= HIGH_WATER_FRAMES) {
      this.paused = true;
      return false;
    }
    return true;
  }

  onComplete(): void {
    const phase = this.phase;
    this.phase = 4;
    this.clearTail();
    if (phase === 2) {
      const text = new TextDecoder().decode(Buffer.concat(this.errorBody ?? [], this.errorBytes));
      const quoted = text.length > 200 ? `${text.slice(0, 200)}…` : text || '(empty body)';
      this.fail(new ProtocolError(BAD_GATEWAY, `function answered HTTP ${this.status}: ${quoted}`));
    } else if (phase === 1) {
      const reader = this.reader;
      this.fail(
        new ProtocolError(
          BAD_GATEWAY,
          reader.pending > 0 ? `function closed the answer inside a frame (${reader.pending} bytes of it arrived)` : 'function closed the answer before its terminal frame',
        ),
      );
    }
  }

  onError(error: Error): void {
    const phase = this.phase;
    this.phase = 4;
    this.clearTail();
    if (phase === 3 || this.dropped) return; // the call has its terminal frame, or was ended already
    if (phase === 0) this.fail(new ProtocolError(BAD_GATEWAY, `function unreachable: ${describe(error)}`));
    else if (phase === 2) this.fail(new ProtocolError(BAD_GATEWAY, `function answered HTTP ${this.status}: (body broke off: ${describe(error)})`));
    else this.fail(new ProtocolError(BAD_GATEWAY, `function answer broke off: ${describe(error)}`));
  }
}

/** The first Content-Type in undici's raw headers (name, value, name, value…). */
function contentTypeOf(raw: Buffer[] | string[] | null): string | undefined {
  if (!raw) return undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i];
    if (name !== undefined && name.length === 12 && name.toString().toLowerCase() === 'content-type') return raw[i + 1]?.toString();
  }
  return undefined;
}
