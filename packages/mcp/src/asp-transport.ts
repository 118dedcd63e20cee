import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import { type JSONRPCMessage, JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';
import { McpBridgeError } from './errors.js';
import { AsyncQueue } from './queue.js';

/**
 * An MCP SDK Transport whose JSON-RPC runs over an Agent Socket session. Each direction is one
 * long-lived ASP call: the receiving side invoked a tool on the sending side, and every JSON-RPC
 * message is one STREAM chunk of it (the message's JSON text, as MCP's stdio would carry it).
 * STREAM chunks of one call are ordered by seq and replayed on resume, so order holds across
 * reconnects; the ASP session's heartbeats watch the link.
 */
export abstract class AspMcpTransport implements Transport {
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: ((message: JSONRPCMessage) => void) | undefined;
  /** Set on the agent end only: an SDK Client treats a transport with a session id as already initialized. */
  sessionId?: string | undefined;
  /** Messages for the peer, drained by the peer's long-lived call. */
  protected readonly outgoing = new AsyncQueue<string>();
  private closed = false;

  abstract start(): Promise<void>;

  async send(message: JSONRPCMessage, _options?: TransportSendOptions): Promise<void> {
    if (this.closed) throw new McpBridgeError('TRANSPORT_CLOSED', 'MCP-over-ASP transport is closed');
    this.outgoing.push(JSON.stringify(message));
  }

  async close(): Promise<void> {
    this.finish();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Delivers the peer's messages, in order, until its stream ends; then closes. */
  protected async pump(chunks: AsyncIterable<unknown>): Promise<void> {
    try {
      for await (const chunk of chunks) {
        if (this.closed) break;
        this.deliver(chunk);
      }
    } catch (error) {
      if (!this.closed) this.onerror?.(error instanceof Error ? error : new Error(String(error)));
    }
    this.finish();
  }

  /** Closes once: no more sends, the peer's stream ends, onclose fires. */
  protected finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.outgoing.end();
    this.release();
    this.onclose?.();
  }

  /** Stops whatever the subclass holds open (calls in flight). */
  protected abstract release(): void;

  private deliver(chunk: unknown): void {
    let parsed: unknown;
    try {
      parsed = typeof chunk === 'string' ? JSON.parse(chunk) : chunk;
    } catch (error) {
      this.onerror?.(new McpBridgeError('INVALID_MESSAGE', 'MCP-over-ASP chunk is not JSON', { cause: error }));
      return;
    }
    const message = JSONRPCMessageSchema.safeParse(parsed);
    if (message.success) this.onmessage?.(message.data);
    else this.onerror?.(new McpBridgeError('INVALID_MESSAGE', `MCP-over-ASP chunk is not a JSON-RPC message: ${message.error.message}`));
  }
}
