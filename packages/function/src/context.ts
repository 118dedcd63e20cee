import { Call, type Delivery, type InputSchema, type InvokeOptions, type Principal, ProtocolError, type ToolContext, type ToolDefinition } from '@agentsocket/core';
import type { RelayCallbacks } from './callback-client.js';
import type { CallbackInfo, InvokeRequest } from './request.js';

/** What a context needs from the call it belongs to. */
export interface FunctionCallHost {
  /** Adds a tool for this connection and announces it (TOOL_DEF frame, or the callback API once the answer is sent). */
  defineTool(name: string, definition: ToolDefinition): void;
  /** Replaces the connection's state (STATE frame, or the callback API once the answer is sent). */
  setState(state: string | null): void;
  /** ToolContext.once, recorded in the handler's dedup store. */
  once<T>(key: string, effect: () => T | Promise<T>): Promise<T>;
  readonly callbacks: RelayCallbacks | undefined;
}

/** Relay-mode extras of a call: the connection's state and its callback API. */
export interface RelayCallContext {
  /** The connection's opaque state as the relay sent it with this call. */
  readonly state: string | undefined;
  /** Replaces the connection's state; the relay sends the new value with later calls. */
  setState(state: string | null): void;
  /** The callback API of this call's connection; absent in compatibility mode (no callback in the request). */
  readonly callbacks: RelayCallbacks | undefined;
  /** The request's `callback` (URL, token, expiry), to hand to another process that will call back. */
  readonly callback: CallbackInfo | undefined;
}

const extras = new WeakMap<ToolContext, RelayCallContext>();

/** The relay-mode extras of a handler's context, or undefined outside a function. */
export function relayContext(ctx: ToolContext): RelayCallContext | undefined {
  return extras.get(ctx);
}

/** The ToolContext of one call served by a function: the ASP API, with the relay behind it. */
export class FunctionContext implements ToolContext {
  readonly tool: string;
  readonly messageId: string;
  /** A function sees no ASP request ids; 0. */
  readonly requestId = 0;
  readonly sessionId: string;
  readonly principal: Principal | undefined;
  readonly traceparent: string | undefined;
  readonly delivery: Delivery;
  readonly signal: AbortSignal;
  readonly #host: FunctionCallHost;

  constructor(request: InvokeRequest, signal: AbortSignal, host: FunctionCallHost) {
    this.tool = request.tool;
    this.messageId = request.id;
    this.sessionId = request.cid;
    this.principal = request.principal === undefined ? undefined : { id: request.principal };
    this.traceparent = request.traceparent;
    this.delivery = request.delivery;
    this.signal = signal;
    this.#host = host;
    extras.set(this, { state: request.state, setState: (state) => host.setState(state), callbacks: host.callbacks, callback: request.callback });
  }

  defineTool = <S extends InputSchema>(name: string, definition: ToolDefinition<S>): void => {
    this.#host.defineTool(name, definition as unknown as ToolDefinition);
  };

  once = <T>(key: string, effect: () => T | Promise<T>): Promise<T> => this.#host.once(key, effect);

  invokePeer = <T = unknown>(tool: string, args?: unknown, options?: InvokeOptions): Call<T> => {
    // As in Direct mode: a question asked inside an at-most-once call is at-most-once too.
    const fallback: Delivery = this.delivery === 'at-most-once' ? 'at-most-once' : 'at-least-once';
    const callbacks = this.#host.callbacks;
    if (!callbacks) {
      const call = new Call<T>(tool, '', options?.delivery ?? fallback);
      call.fail(new ProtocolError(501, 'no callback API in this request (compatibility mode): the function cannot invoke the client'));
      return call;
    }
    return callbacks.invoke<T>(tool, args ?? {}, { ...options, delivery: options?.delivery ?? fallback });
  };
}
