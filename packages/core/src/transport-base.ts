import { AgentSocketError, CloseCode } from './errors.js';
import { type Transport, type TransportCloseInfo, transportSymbol } from './transport.js';

/** RFC 6455 "internal error": the owner's frame handler threw. */
export const INTERNAL_ERROR = 1011;

export interface BaseTransportOptions {
  /** A short label for logs and errors, e.g. "ws". */
  readonly kind: string;
  /** Largest frame `send` accepts, bytes. */
  readonly maxFrameBytes: number;
  /** Backlog of unsent bytes past which the next `send` closes the socket with SLOW_CONSUMER. */
  readonly maxBufferedBytes: number;
}

/**
 * The Transport rules (transport.ts) in one place, for any message-oriented connection:
 * buffering until start(), frames that arrived before a close delivered first, one onclose,
 * send checks and the slow-consumer bound. Subclasses only wire up their socket.
 */
export abstract class BaseTransport implements Transport {
  readonly [transportSymbol] = true as const;
  readonly kind: string;
  readonly maxFrameBytes: number;
  readonly maxBufferedBytes: number;
  onframe: ((frame: Uint8Array) => void) | undefined;
  onclose: ((info: TransportCloseInfo) => void) | undefined;
  private readonly inbox: Uint8Array[] = [];
  private started = false;
  private drainScheduled = false;
  private closeInfo: TransportCloseInfo | undefined;
  /** The socket closed while frames still wait in the inbox: they go first, then onclose. */
  private pendingClose: TransportCloseInfo | undefined;
  private readonly closed: Promise<void>;
  private resolveClosed: () => void = () => {};

  constructor(options: BaseTransportOptions) {
    this.kind = options.kind;
    this.maxFrameBytes = options.maxFrameBytes;
    this.maxBufferedBytes = options.maxBufferedBytes;
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
  }

  abstract get bufferedAmount(): number;
  /** True while the socket itself accepts data (it may be closing before this end knows). */
  protected abstract get socketOpen(): boolean;
  /** Hands one frame to the socket. */
  protected abstract write(frame: Uint8Array): void;
  /** Asks the socket to close; called once, after onclose is already scheduled. */
  protected abstract shutdown(code: number, reason: string): void;

  get open(): boolean {
    return this.closeInfo === undefined;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    if (this.inbox.length > 0) this.scheduleDrain();
  }

  send(frame: Uint8Array): void {
    if (this.closeInfo || !this.socketOpen) {
      throw new AgentSocketError('TRANSPORT_CLOSED', `${this.kind} transport is closed${this.closeInfo ? ` (${this.closeInfo.code})` : ''}`);
    }
    if (frame.byteLength > this.maxFrameBytes) {
      throw new AgentSocketError('FRAME_TOO_LARGE', `frame of ${frame.byteLength} bytes exceeds ${this.maxFrameBytes}`);
    }
    const backlog = this.bufferedAmount;
    if (backlog > this.maxBufferedBytes) {
      const reason = `peer is not reading: ${backlog} bytes unsent`;
      void this.close(CloseCode.SLOW_CONSUMER, reason);
      throw new AgentSocketError('TRANSPORT_CLOSED', `${this.kind} transport closed, ${reason}`);
    }
    this.write(frame);
  }

  close(code: number = CloseCode.NORMAL, reason = ''): Promise<void> {
    if (this.finish({ code, reason, local: true })) this.shutdown(code, closeReason(reason));
    return this.closed;
  }

  /** A binary message arrived from the socket. */
  protected received(frame: Uint8Array): void {
    if (this.closeInfo) return;
    if (this.started && !this.drainScheduled && this.inbox.length === 0) {
      this.deliver(frame);
      return;
    }
    this.inbox.push(frame);
    if (this.started) this.scheduleDrain();
  }

  /** The socket is gone: delivers what already arrived (once started), then closes. */
  protected ended(info: TransportCloseInfo): void {
    if (this.closeInfo || this.pendingClose) return;
    if (this.inbox.length === 0) {
      this.finish(info);
      return;
    }
    this.pendingClose = info;
    if (this.started) this.scheduleDrain();
  }

  /** Marks the transport closed and schedules onclose. Returns false when it already was. */
  protected finish(info: TransportCloseInfo): boolean {
    if (this.closeInfo) return false;
    this.closeInfo = info;
    this.inbox.length = 0;
    this.onFinish();
    // Fire on a later tick, as a socket's close event would, so callers of close() see it async.
    queueMicrotask(() => {
      const onclose = this.onclose;
      try {
        onclose?.(info);
      } catch {
        // The owner's bug must not escape into the socket's event loop (rule 8).
      }
      this.resolveClosed();
    });
    return true;
  }

  /** Hook for subclasses to stop timers once closed. */
  protected onFinish(): void {}

  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    queueMicrotask(() => {
      this.drainScheduled = false;
      while (this.inbox.length > 0 && !this.closeInfo) {
        const frame = this.inbox.shift();
        if (frame) this.deliver(frame);
      }
      if (this.pendingClose) this.finish(this.pendingClose);
    });
  }

  private deliver(frame: Uint8Array): void {
    try {
      this.onframe?.(frame);
    } catch (error) {
      // A throwing handler ends this connection only, never the process (rule 8).
      void this.close(INTERNAL_ERROR, `frame handler failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

/** Close reasons are limited to 123 UTF-8 bytes on the wire; cut on a character boundary. */
export function closeReason(reason: string): string {
  const encoder = new TextEncoder();
  if (encoder.encode(reason).byteLength <= 123) return reason;
  let cut = reason.slice(0, 123);
  while (encoder.encode(cut).byteLength > 123) cut = cut.slice(0, -1);
  return cut;
}
