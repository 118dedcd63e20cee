import type { LazyAbortController } from './lazy-abort.js';
import type { Delivery } from './messages.js';
import type { ToolContext } from './tool.js';
import type { Principal } from './transport.js';

/**
 * The ToolContext of one incoming invoke. A class rather than an object literal: V8 builds a
 * literal with a getter on a slow path (~40× a plain one), and one is made per call. `signal`
 * is made on first read, so calls whose handler never looks at it skip the AbortController.
 */
export class InvokeContext implements ToolContext {
  readonly #abort: LazyAbortController;

  constructor(
    abort: LazyAbortController,
    readonly tool: string,
    readonly messageId: string,
    readonly requestId: number,
    readonly sessionId: string,
    readonly principal: Principal | undefined,
    readonly traceparent: string | undefined,
    readonly delivery: Delivery,
    // Own properties, not methods, so a handler may destructure them as before.
    readonly defineTool: ToolContext['defineTool'],
    readonly invokePeer: ToolContext['invokePeer'],
  ) {
    this.#abort = abort;
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }
}
