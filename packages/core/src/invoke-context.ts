import type { Call, InvokeOptions } from './call.js';
import type { LazyAbortController } from './lazy-abort.js';
import type { Delivery } from './messages.js';
import type { ToolContext, ToolDefinition } from './tool.js';
import type { Principal } from './transport.js';

/** What a context needs from the session it belongs to. */
export interface ContextHost {
  defineTool(name: string, definition: ToolDefinition): void;
  invokePeer<T>(tool: string, args: unknown, options: InvokeOptions): Call<T>;
  once<T>(messageId: string, key: string, effect: () => T | Promise<T>, signal: AbortSignal): Promise<T>;
}

/**
 * The ToolContext of one incoming invoke. A class rather than an object literal: V8 builds a
 * literal with a getter on a slow path (~40× a plain one), and one is made per call. `signal`,
 * `defineTool` and `invokePeer` are made on first read, so a handler that never looks at them
 * costs no AbortController and no closures. They are getters, so a handler may still destructure
 * them (`const { invokePeer } = ctx`).
 */
export class InvokeContext implements ToolContext {
  readonly #abort: LazyAbortController;
  readonly #host: ContextHost;
  #defineTool: ToolContext['defineTool'] | undefined;
  #invokePeer: ToolContext['invokePeer'] | undefined;

  constructor(
    abort: LazyAbortController,
    host: ContextHost,
    readonly tool: string,
    readonly messageId: string,
    readonly requestId: number,
    readonly sessionId: string,
    readonly principal: Principal | undefined,
    readonly traceparent: string | undefined,
    readonly delivery: Delivery,
  ) {
    this.#abort = abort;
    this.#host = host;
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  get defineTool(): ToolContext['defineTool'] {
    const host = this.#host;
    this.#defineTool ??= (name, definition) => host.defineTool(name, definition as ToolDefinition);
    return this.#defineTool;
  }

  once<T>(key: string, effect: () => T | Promise<T>): Promise<T> {
    return this.#host.once(this.messageId, key, effect, this.#abort.signal);
  }

  get invokePeer(): ToolContext['invokePeer'] {
    const host = this.#host;
    // A question asked inside an at-most-once call is at-most-once too, unless the handler says otherwise.
    const fallback: Delivery = this.delivery === 'at-most-once' ? 'at-most-once' : 'at-least-once';
    this.#invokePeer ??= (tool, args, options) => host.invokePeer(tool, args, { ...options, delivery: options?.delivery ?? fallback });
    return this.#invokePeer;
  }
}
