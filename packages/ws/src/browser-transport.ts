import * as CloseCode from '@agentsocket/core/close-code';
import { BaseTransport, type BaseTransportOptions } from '@agentsocket/core/transport';
import { BATCH_BYTES } from './defaults.js';

/** The part of the WHATWG WebSocket this package uses (the DOM lib is not loaded here). */
export interface BrowserSocket {
  binaryType: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  readonly protocol: string;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'error', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: { readonly data: unknown }) => void): void;
  addEventListener(type: 'close', listener: (event: { readonly code: number; readonly reason: string }) => void): void;
  removeEventListener(type: 'open' | 'error', listener: () => void): void;
  removeEventListener(type: 'close', listener: (event: { readonly code: number; readonly reason: string }) => void): void;
}

export type BrowserSocketConstructor = new (url: string, protocols: string[]) => BrowserSocket;

const OPEN = 1;

/** A Transport over one open browser WebSocket. */
export class BrowserTransport extends BaseTransport {
  readonly socket: BrowserSocket;

  constructor(socket: BrowserSocket, options: Omit<BaseTransportOptions, 'kind' | 'batchBytes'>) {
    super({ ...options, kind: 'ws', batchBytes: BATCH_BYTES });
    this.socket = socket;
    socket.binaryType = 'arraybuffer';
    socket.addEventListener('message', (event) => {
      const data = event.data;
      if (data instanceof ArrayBuffer) this.received(new Uint8Array(data));
      else void this.close(CloseCode.BAD_FRAME, 'text message: ASP frames are binary');
    });
    socket.addEventListener('close', (event) => {
      this.ended({ code: event.code, reason: event.reason, local: false });
    });
    // 'error' is always followed by 'close', which carries what can be known.
    socket.addEventListener('error', () => {});
  }

  protected get socketBufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  protected get socketOpen(): boolean {
    return this.socket.readyState === OPEN;
  }

  protected write(frame: Uint8Array): void {
    this.socket.send(frame);
  }

  protected shutdown(code: number, reason: string): void {
    // Browsers may only send 1000 and 3000-4999. Any other code (1001 on a drop or after GOAWAY)
    // goes as no code at all (the server sees 1005), never as 1000, which would end the session
    // on the server instead of leaving it to be resumed. onclose still reports the code asked for.
    if (code !== CloseCode.NORMAL && (code < 3000 || code > 4999)) {
      this.socket.close();
      return;
    }
    try {
      this.socket.close(code, reason);
    } catch {
      this.socket.close();
    }
  }
}
