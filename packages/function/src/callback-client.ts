import { AgentSocketError, Call, type Codec, type Delivery, type InvokeOptions, ProtocolError, type ToolInfo } from '@agentsocket/core';
import { ulidFactory } from '@agentsocket/core/internal';
import { CONTENT_TYPES } from './codec.js';
import { FRAMES_CONTENT_TYPE, RelayFrameReader, RelayFrameType } from './frames.js';
import { type CallbackInfo, DELIVERY_TO_WIRE } from './request.js';

/** A callback the relay refused (docs/relay.md §5.3): `status` is the HTTP status. */
export class CallbackError extends AgentSocketError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super('TRANSPORT_CLOSED', message);
  }
}

const newId = ulidFactory();

/**
 * The relay's callback API for one connection (docs/relay.md §5): what a function uses after (or
 * while) it answers a call. Pushes (tools, messages, state, close) go out one at a time in the
 * order they were made, so the client sees them in that order.
 */
export class RelayCallbacks {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly cid: string,
    private readonly info: CallbackInfo,
    /** Bodies and answers are encoded with the codec of the call that handed out the token. */
    private readonly codec: Codec,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  /** Announces tools to the connection's client (TOOL_DEF). */
  pushTools(tools: ToolInfo[], removed: string[] = []): Promise<void> {
    return this.push('tools', { tools, removed });
  }

  /** Sends a MESSAGE event to the connection's client. */
  sendMessage(event: string, data?: unknown, delivery: Delivery = 'at-least-once'): Promise<void> {
    return this.push('messages', { event, data, dl: DELIVERY_TO_WIRE[delivery] });
  }

  /** Replaces the connection's opaque state (null clears it); later calls carry the new value. */
  setState(state: string | null): Promise<void> {
    return this.push('state', { state });
  }

  /** Ends the connection's session. */
  close(reason?: string): Promise<void> {
    return this.push('close', reason === undefined ? {} : { reason });
  }

  /** Invokes a tool the client serves and streams its answer back (full duplex). */
  invoke<T = unknown>(tool: string, args: unknown = {}, options: InvokeOptions = {}): Call<T> {
    const delivery = options.delivery ?? 'at-least-once';
    const call = new Call<T>(tool, newId(), delivery);
    const body: Record<string, unknown> = { tool, args, dl: DELIVERY_TO_WIRE[delivery] };
    if (options.timeoutMs !== undefined) body['timeoutMs'] = options.timeoutMs;
    void this.stream(call, body, options.signal).catch((error: unknown) => call.fail(error));
    return call;
  }

  private async stream(call: Call, body: Record<string, unknown>, signal: AbortSignal | undefined): Promise<void> {
    const response = await this.post('invoke', body, signal);
    if (!response.headers.get('content-type')?.startsWith(FRAMES_CONTENT_TYPE) || !response.body) {
      throw new CallbackError(502, 'the relay did not answer with frames');
    }
    const reader = new RelayFrameReader(this.codec);
    const bytes = response.body.getReader();
    let chunks = 0;
    for (;;) {
      const { done, value } = await bytes.read();
      if (done) break;
      for (const frame of reader.push(value)) {
        switch (frame.type) {
          case RelayFrameType.CHUNK:
          case RelayFrameType.CHUNK_BYTES:
            call.pushChunk(chunks++, frame.data);
            break;
          case RelayFrameType.RESULT:
            call.complete(frame.result, frame.metrics ?? { durationMs: 0, chunks });
            void bytes.cancel();
            return;
          case RelayFrameType.ERROR:
            call.fail(new ProtocolError(frame.code, frame.message, { data: frame.data }));
            void bytes.cancel();
            return;
          default:
            break;
        }
      }
    }
    throw new CallbackError(502, 'the relay ended the answer before a terminal frame');
  }

  private push(endpoint: string, body: Record<string, unknown>): Promise<void> {
    const next = this.queue.then(async () => {
      const response = await this.post(endpoint, body);
      await response.body?.cancel();
    });
    this.queue = next.catch(() => {});
    return next;
  }

  private async post(endpoint: string, body: Record<string, unknown>, signal?: AbortSignal): Promise<Response> {
    const url = new URL(`connections/${encodeURIComponent(this.cid)}/${endpoint}`, this.info.url);
    const init: RequestInit = {
      method: 'POST',
      headers: { authorization: `Bearer ${this.info.token}`, 'content-type': CONTENT_TYPES[this.codec.name === 'msgpack' ? 'msgpack' : 'json'] },
      body: this.codec.encode(body),
    };
    if (signal) init.signal = signal;
    const response = await this.fetchImpl(url, init);
    if (response.ok) return response;
    const text = await response.text().catch(() => '');
    throw new CallbackError(response.status, `relay refused ${endpoint}: HTTP ${response.status} ${text.slice(0, 200)}`);
  }
}
