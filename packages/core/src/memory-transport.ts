import { DEFAULT_MEMORY_MAX_BUFFERED_BYTES } from './defaults.js';
import type { AgentServer } from './server.js';
import type { Connector, Transport, TransportCloseInfo } from './transport.js';
import { BaseTransport } from './transport-base.js';

export interface MemoryTransportOptions {
  /** Largest frame carried. @default Infinity */
  maxFrameBytes?: number;
  /**
   * Bytes sent and not yet delivered to the other end past which the next `send` closes with
   * 4429 SLOW_CONSUMER (Transport rule 5). @default DEFAULT_MEMORY_MAX_BUFFERED_BYTES (96 MiB)
   */
  maxBufferedBytes?: number;
}

/**
 * One end of an in-process pipe. Frames are delivered asynchronously, in order, copied; a close
 * reaches the other end after the frames sent before it. The Transport rules come from BaseTransport.
 */
class MemoryTransport extends BaseTransport {
  other: MemoryTransport | undefined;
  afterClose: (() => void) | undefined;
  /** The other end has closed (its close is on its way here). */
  private peerGone = false;
  /** Bytes written and not yet handed to the other end (they wait in the microtask queue). */
  private inFlight = 0;

  constructor(options: MemoryTransportOptions) {
    super({
      kind: 'memory',
      maxFrameBytes: options.maxFrameBytes ?? Number.POSITIVE_INFINITY,
      maxBufferedBytes: options.maxBufferedBytes ?? DEFAULT_MEMORY_MAX_BUFFERED_BYTES,
    });
  }

  protected get socketBufferedAmount(): number {
    return this.inFlight;
  }

  protected get socketOpen(): boolean {
    return !this.peerGone;
  }

  protected write(frame: Uint8Array): void {
    // Copy, as a network would: the sender may reuse its buffer. Deliver later, as a network would.
    const copy = frame.slice();
    const other = this.other;
    this.inFlight += copy.byteLength;
    queueMicrotask(() => {
      this.inFlight -= copy.byteLength;
      other?.received(copy);
    });
  }

  protected shutdown(code: number, reason: string): void {
    const other = this.other;
    queueMicrotask(() => other?.remoteClosed({ code, reason, local: false }));
  }

  protected override onFinish(): void {
    this.afterClose?.();
  }

  private remoteClosed(info: TransportCloseInfo): void {
    this.peerGone = true;
    this.ended(info);
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
