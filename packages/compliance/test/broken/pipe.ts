// An in-process pipe transport built on BaseTransport as docs/writing-a-transport.md shows, with
// one deliberate flaw per variant: the suite must catch each by the rule it breaks.
import { AgentServer, CloseCode, type Transport, type TransportCloseInfo } from '@agentsocket/core';
import { BaseTransport } from '@agentsocket/core/transport';
import type { TransportFixture } from '../../src/index.js';

/** One broken Transport rule (or close codes) per flaw; 'none' is the compliant control. */
export type Flaw =
  | 'none'
  | 'reorders' // rule 1: every two frames change places
  | 'drops-before-start' // rule 2
  | 'double-onclose' // rule 3
  | 'silent-send-after-close' // rule 4
  | 'no-bound' // rule 5: no send-buffer bound
  | 'close-resolves-early' // rule 6
  | 'oversize-accepted' // rule 7
  | 'throws-from-callback' // rule 8: a throwing onframe escapes into the process
  | 'no-close-codes'; // the other end always sees 1005 and no reason

export const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

class PipeTransport extends BaseTransport {
  other: PipeTransport | undefined;
  afterClose: (() => void) | undefined;
  private peerGone = false;
  private inFlight = 0;
  private begun = false;
  private held: Uint8Array | undefined;
  /** Set by the fixture's stopReading(): what arrives waits here, still counted by the sender. */
  paused: Array<() => void> | undefined;

  constructor(
    private readonly flaw: Flaw,
    maxFrameBytes: number,
  ) {
    super({ kind: 'pipe', maxFrameBytes, maxBufferedBytes: flaw === 'no-bound' ? Number.POSITIVE_INFINITY : MAX_BUFFERED_BYTES });
  }

  protected get socketBufferedAmount(): number {
    return this.inFlight;
  }

  protected get socketOpen(): boolean {
    return !this.peerGone;
  }

  protected write(frame: Uint8Array): void {
    if (this.flaw === 'reorders') {
      if (this.held === undefined) {
        this.held = frame;
        // A lone frame still leaves, at the end of the turn.
        setImmediate(() => {
          if (this.held === frame) {
            this.held = undefined;
            this.deliverLater(frame);
          }
        });
        return;
      }
      const first = this.held;
      this.held = undefined;
      this.deliverLater(frame);
      this.deliverLater(first);
      return;
    }
    this.deliverLater(frame);
  }

  private deliverLater(frame: Uint8Array): void {
    const copy = frame.slice();
    const other = this.other;
    this.inFlight += copy.byteLength;
    const deliver = () => {
      this.inFlight -= copy.byteLength;
      other?.arrived(copy);
    };
    queueMicrotask(() => {
      if (other?.paused) other.paused.push(deliver);
      else deliver();
    });
  }

  protected shutdown(code: number, reason: string): void {
    const other = this.other;
    const info = this.flaw === 'no-close-codes' ? { code: 1005, reason: '', local: false } : { code, reason, local: false };
    queueMicrotask(() => other?.remoteClosed(info));
  }

  protected override onFinish(): void {
    this.afterClose?.();
    if (this.flaw === 'double-onclose') {
      setTimeout(() => this.onclose?.({ code: CloseCode.NORMAL, reason: 'again', local: false }), 5);
    }
  }

  override start(): void {
    this.begun = true;
    super.start();
  }

  override send(frame: Uint8Array): void {
    if (this.flaw === 'silent-send-after-close' && !this.open) return;
    if (this.flaw === 'oversize-accepted' && frame.byteLength > this.maxFrameBytes && this.open) {
      this.write(frame);
      return;
    }
    super.send(frame);
  }

  override close(code?: number, reason?: string): Promise<void> {
    if (this.flaw !== 'close-resolves-early') return super.close(code, reason);
    // Resolves at once and closes later.
    setTimeout(() => void super.close(code, reason), 10);
    return Promise.resolve();
  }

  private arrived(frame: Uint8Array): void {
    if (this.flaw === 'drops-before-start' && !this.begun) return;
    if (this.flaw === 'throws-from-callback' && this.begun && this.open) {
      this.onframe?.(frame); // no try/catch: a throwing handler escapes into the process
      return;
    }
    this.received(frame);
  }

  private remoteClosed(info: TransportCloseInfo): void {
    this.peerGone = true;
    this.ended(info);
  }
}

/** A fixture serving the agent over the pipe with `flaw`. */
export function pipeFixture(flaw: Flaw): TransportFixture {
  return {
    name: flaw,
    limits: { maxBufferedBytes: MAX_BUFFERED_BYTES },
    async start(agent, options) {
      const server = new AgentServer(agent, options);
      const maxFrameBytes = 2 * server.maxFrameBytes + 64 * 1024;
      const serverEnds = new Set<Transport>();
      return {
        server,
        connector: () => async () => {
          const client = new PipeTransport(flaw, maxFrameBytes);
          const end = new PipeTransport(flaw, maxFrameBytes);
          client.other = end;
          end.other = client;
          serverEnds.add(end);
          end.afterClose = () => serverEnds.delete(end);
          server.accept(end, { transport: 'pipe' });
          return client;
        },
        stopReading(transport) {
          if (!(transport instanceof PipeTransport)) return false;
          transport.paused ??= [];
          return true;
        },
        async dropConnections() {
          await Promise.all([...serverEnds].map((t) => t.close(CloseCode.GOING_AWAY, 'dropped by test')));
        },
        async close() {
          server.close();
        },
      };
    },
  };
}
