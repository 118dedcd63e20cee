import { type Codec, DEFAULT_MAX_FRAME_BYTES, ErrorCode, ProtocolError, type ToolInfo } from '@agentsocket/core';
import { CONTENT_TYPES, FRAMES_CONTENT_TYPE, parseTools, type RelayFrame, RelayFrameError, RelayFrameReader, RelayFrameType, signRequest } from '@agentsocket/function';
import { Pool } from 'undici';

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

  constructor(
    url: string | URL,
    private readonly options: FunctionClientOptions,
  ) {
    this.base = new URL(url);
    if (!this.base.pathname.endsWith('/')) this.base.pathname += '/';
    this.pool = new Pool(this.base.origin, { connections: options.connections ?? null, keepAliveTimeout: 30_000 });
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
    const headers = { ...(await signRequest(this.options.secret, 'POST', 'invoke', body)), 'content-type': contentType };
    const response = await this.request('POST', 'invoke', headers, body, signal);
    const { body: stream } = response;
    // Destroying an unread body emits an error; what went wrong is reported through the throw below.
    stream.on('error', () => {});
    let terminal = false;
    try {
      if (response.statusCode !== 200) {
        throw new ProtocolError(BAD_GATEWAY, `function answered HTTP ${response.statusCode}: ${await snippet(stream)}`);
      }
      const type = header(response.headers['content-type']);
      if (type?.split(';')[0]?.trim().toLowerCase() !== FRAMES_CONTENT_TYPE) {
        throw new ProtocolError(BAD_GATEWAY, `function answered with content-type ${type ?? '(none)'}, expected ${FRAMES_CONTENT_TYPE}`);
      }
      const reader = new RelayFrameReader(codec, this.options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES);
      // Leaving the loop at the terminal frame must not destroy the body: its end is read below, so
      // the keep-alive connection goes back to the pool instead of being closed.
      for await (const bytes of stream.iterator({ destroyOnReturn: false })) {
        let frames: RelayFrame[];
        try {
          frames = reader.push(bytes as Uint8Array);
        } catch (error) {
          if (error instanceof RelayFrameError && error.tooLarge) throw new ProtocolError(ErrorCode.FRAME_TOO_LARGE, `function sent a ${error.message}`);
          throw new ProtocolError(BAD_GATEWAY, `function sent a bad frame: ${error instanceof Error ? error.message : String(error)}`);
        }
        for (const frame of frames) {
          if (frame.type === RelayFrameType.RESULT || frame.type === RelayFrameType.ERROR) terminal = true;
          yield frame;
          if (terminal) return; // nothing after the terminal frame is read
        }
      }
      throw new ProtocolError(
        BAD_GATEWAY,
        reader.pending > 0 ? `function closed the answer inside a frame (${reader.pending} bytes of it arrived)` : 'function closed the answer before its terminal frame',
      );
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      if (error instanceof ProtocolError) throw error;
      throw new ProtocolError(BAD_GATEWAY, `function answer broke off: ${describe(error)}`);
    } finally {
      // After a terminal frame the end of the body is read (briefly) so the connection is kept alive;
      // an answer given up on is dropped with its connection.
      if (terminal) {
        // A plain timer, not AbortSignal.timeout: that one makes an exception for every call when it fires.
        const giveUp = setTimeout(() => stream.destroy(), 5_000);
        giveUp.unref();
        void stream
          .dump({ limit: 64 * 1024 })
          .catch(() => {})
          .finally(() => clearTimeout(giveUp));
      } else if (!stream.readableEnded) stream.destroy();
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

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
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
