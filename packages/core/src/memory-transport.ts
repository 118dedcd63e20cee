import { AgentSocketError, CloseCode } from './errors.js';
import type { AgentServer } from './server.js';
import { type Connector, type Transport, type TransportCloseInfo, transportSymbol } from './transport.js';

export interface MemoryTransportOptions {
  /** Largest frame carried. @default Infinity */
  maxFrameBytes?: number;
}

/** One end of an in-process pipe. Frames are delivered asynchronously, in order, copied. */
class MemoryTransport implements Transport {
  readonly [transportSymbol] = true as const;
  readonly kind = 'memory';
  readonly maxFrameBytes: number;
  onframe: ((frame: Uint8Array) => void) | undefined;
  onclose: ((info: TransportCloseInfo) => void) | undefined;
  other: MemoryTransport | undefined;
  afterClose: (() => void) | undefined;
  private readonly inbox: Uint8Array[] = [];
  private started = false;
  private scheduled = false;
  private remoteClose: TransportCloseInfo | undefined;
  private closeInfo: TransportCloseInfo | undefined;
  private closedPromise: Promise<void> | undefined;
  private resolveClosed: (() => void) | undefined;

  constructor(options: MemoryTransportOptions) {
    this.maxFrameBytes = options.maxFrameBytes ?? Number.POSITIVE_INFINITY;
  }

  get bufferedAmount(): number {
    return 0;
  }

  get open(): boolean {
    return this.closeInfo === undefined;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.schedule();
  }

  send(frame: Uint8Array): void {
    if (this.closeInfo) throw new AgentSocketError('TRANSPORT_CLOSED', 'memory transport is closed');
    if (frame.byteLength > this.maxFrameBytes) {
      throw new AgentSocketError('FRAME_TOO_LARGE', `frame of ${frame.byteLength} bytes exceeds ${this.maxFrameBytes}`);
    }
    // Copy, as a network would: the sender may reuse its buffer.
    this.other?.deliver(frame.slice());
  }

  close(code: number = CloseCode.NORMAL, reason = ''): Promise<void> {
    if (!this.closedPromise) {
      this.closedPromise = new Promise((resolve) => {
        this.resolveClosed = resolve;
      });
      this.finish({ code, reason, local: true });
      this.other?.remoteClosed({ code, reason, local: false });
    }
    return this.closedPromise;
  }

  private deliver(frame: Uint8Array): void {
    if (this.closeInfo) return;
    this.inbox.push(frame);
    this.schedule();
  }

  private schedule(): void {
    if (!this.started || this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => this.drain());
  }

  /** The other end closed: frames it sent before closing are still delivered, then onclose. */
  remoteClosed(info: TransportCloseInfo): void {
    if (this.closeInfo || this.remoteClose) return;
    this.remoteClose = info;
    this.schedule();
  }

  private drain(): void {
    this.scheduled = false;
    while (this.inbox.length > 0 && !this.closeInfo) {
      const frame = this.inbox.shift();
      if (frame) this.onframe?.(frame);
    }
    if (this.remoteClose) this.finish(this.remoteClose);
  }

  finish(info: TransportCloseInfo): void {
    if (this.closeInfo) return;
    this.closeInfo = info;
    this.inbox.length = 0;
    // Fire on a later tick, as a socket's close event would.
    queueMicrotask(() => {
      this.onclose?.(info);
      this.afterClose?.();
      this.resolveClosed?.();
      if (!this.closedPromise) this.closedPromise = Promise.resolve();
    });
  }
}

/** Two connected in-memory transports. */
export function memoryTransportPair(options: MemoryTransportOptions = {}): [Transport, Transport] {
  const a = new MemoryTransport(options);
  const b = new MemoryTransport(options);
  a.other = b;
  b.other = a;
  return [a, b];
}

export interface MemoryConnector extends Connector {
  /** Server-side ends of the connections made so far that are still open. */
  readonly serverEnds: ReadonlySet<Transport>;
}

/** A connector for AgentClient that hands the other end of each new pipe to `server`. */
export function memoryConnector(server: AgentServer, options: MemoryTransportOptions = {}): MemoryConnector {
  const serverEnds = new Set<Transport>();
  const connect = async (signal: AbortSignal): Promise<Transport> => {
    signal.throwIfAborted();
    const client = new MemoryTransport(options);
    const serverEnd = new MemoryTransport(options);
    client.other = serverEnd;
    serverEnd.other = client;
    serverEnds.add(serverEnd);
    serverEnd.afterClose = () => serverEnds.delete(serverEnd);
    server.accept(serverEnd, { transport: 'memory' });
    return client;
  };
  return Object.assign(connect, { serverEnds });
}
