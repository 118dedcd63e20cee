// src/index.ts of the example package in docs/writing-a-transport.md §2, exactly as printed there.
import type { AgentServer, Connector, Transport, TransportCloseInfo } from '@agentsocket/core';
import { BaseTransport } from '@agentsocket/core/transport';

/** One end of an in-process pipe: a frame written at one end arrives, copied, at the other on a later microtask. */
class PipeTransport extends BaseTransport {
  other: PipeTransport | undefined;
  private peerGone = false; // the other end closed; its close is on its way here
  private inFlight = 0; // bytes written and not yet handed to the other end

  constructor(maxFrameBytes: number, maxBufferedBytes: number) {
    super({ kind: 'pipe', maxFrameBytes, maxBufferedBytes });
  }

  protected get socketBufferedAmount(): number {
    return this.inFlight;
  }

  protected get socketOpen(): boolean {
    return !this.peerGone;
  }

  protected write(frame: Uint8Array): void {
    const copy = frame.slice(); // as a network would: the caller may reuse its buffer
    const other = this.other;
    this.inFlight += copy.byteLength;
    queueMicrotask(() => {
      this.inFlight -= copy.byteLength;
      other?.received(copy);
    });
  }

  protected shutdown(code: number, reason: string): void {
    const other = this.other;
    // The code and reason travel to the other end, behind the frames written before them.
    queueMicrotask(() => other?.remoteClosed({ code, reason, local: false }));
  }

  private remoteClosed(info: TransportCloseInfo): void {
    this.peerGone = true;
    this.ended(info);
  }
}

/**
 * A connector whose every call makes a fresh pipe and hands the server's end to `server.accept`;
 * `serverEnds` collects those ends (to drop them), `maxBufferedBytes` bounds both ends' backlogs.
 */
export function pipeConnector(server: AgentServer, serverEnds: Set<Transport>, maxBufferedBytes = 64 * 1024 * 1024 + 2 * server.maxFrameBytes): Connector {
  // Headroom: a frame just over core's limit still reaches core, which answers ERROR 413.
  const maxFrameBytes = 2 * server.maxFrameBytes + 64 * 1024;
  return async (signal) => {
    signal.throwIfAborted();
    const client = new PipeTransport(maxFrameBytes, maxBufferedBytes);
    const end = new PipeTransport(maxFrameBytes, maxBufferedBytes);
    client.other = end;
    end.other = client;
    serverEnds.add(end);
    server.accept(end, { transport: 'pipe' });
    return client; // not started: AgentClient (or the suite) sets onframe and onclose, then start()
  };
}
