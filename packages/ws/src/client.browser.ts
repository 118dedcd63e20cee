import { AgentSocketError, type Connector, ProtocolError } from '@agentsocket/core/client';
import * as ErrorCode from '@agentsocket/core/error-code';
import { SUBPROTOCOL } from '@agentsocket/core/transport';
import { type BrowserSocket, type BrowserSocketConstructor, BrowserTransport } from './browser-transport.js';
import { CORE_DEFAULT_MAX_FRAME_BYTES, DEFAULT_OPEN_TIMEOUT_MS, defaultMaxBufferedBytes, defaultMaxPayload } from './defaults.js';

/**
 * Options for the browser client (on the global WebSocket). Browsers cannot set an Authorization
 * header: pass the bearer token as AgentClient's `token` option, which sends it in HELLO.
 */
export interface WsClientInit {
  /** The server endpoint, e.g. `wss://example.com/asp`. */
  url: string | URL;
  /** Subprotocols offered besides asp-v1, which is always offered first. @default [] */
  protocols?: string[];
  /** Largest frame sent, bytes (the server's ws cap on incoming messages). @default 16 MiB * 2 + 64 KiB */
  maxPayload?: number;
  /** Unsent bytes the socket may hold; the next send past it closes with 4429 SLOW_CONSUMER. @default 64 MiB + maxPayload */
  maxBufferedBytes?: number;
  /** Time allowed for the socket to open, ms. @default 10000 */
  openTimeoutMs?: number;
  /** The WebSocket class to use. @default globalThis.WebSocket */
  WebSocket?: BrowserSocketConstructor;
}

/**
 * A Connector for AgentClient over the browser's WebSocket: each call opens one socket and
 * resolves once it is open. Reconnect and resume are AgentClient's job.
 */
export function wsConnector(init: WsClientInit): Connector {
  const url = String(init.url);
  const protocols = [SUBPROTOCOL, ...(init.protocols ?? []).filter((p) => p !== SUBPROTOCOL)];
  const maxPayload = init.maxPayload ?? defaultMaxPayload(CORE_DEFAULT_MAX_FRAME_BYTES);
  const options = { maxFrameBytes: maxPayload, maxBufferedBytes: init.maxBufferedBytes ?? defaultMaxBufferedBytes(maxPayload) };
  const openTimeoutMs = init.openTimeoutMs ?? DEFAULT_OPEN_TIMEOUT_MS;

  return (signal) =>
    new Promise((resolve, reject) => {
      if (signal.aborted) {
        reject(new AgentSocketError('ABORTED', `connect to ${url} aborted`, { cause: signal.reason }));
        return;
      }
      const Socket = init.WebSocket ?? globalWebSocket();
      if (!Socket) {
        reject(new AgentSocketError('INVALID_OPTIONS', 'no global WebSocket here; pass one as `WebSocket`'));
        return;
      }
      let socket: BrowserSocket;
      try {
        socket = new Socket(url, protocols);
      } catch (error) {
        reject(new AgentSocketError('INVALID_OPTIONS', `cannot open ${url}: ${String(error)}`, { cause: error }));
        return;
      }
      socket.binaryType = 'arraybuffer';
      let settled = false;
      const settle = () => {
        settled = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        socket.removeEventListener('open', onOpen);
        socket.removeEventListener('close', onClose);
      };
      const fail = (error: Error) => {
        if (settled) return;
        settle();
        socket.close();
        reject(error);
      };
      const onAbort = () => fail(new AgentSocketError('ABORTED', `connect to ${url} aborted`, { cause: signal.reason }));
      const timer = setTimeout(() => fail(new AgentSocketError('TIMEOUT', `${url} did not open within ${openTimeoutMs} ms`)), openTimeoutMs);
      // Browsers hide why an upgrade failed (no status): a 401 or 426 looks like any lost connection.
      const onClose = (event: { readonly code: number }) =>
        fail(
          new AgentSocketError(
            'CONNECTION_LOST',
            `cannot connect to ${url}: the connection closed with code ${event.code} before it opened (the browser does not say why: the server may be down, or it refused the upgrade)`,
          ),
        );
      const onOpen = () => {
        if (socket.protocol !== SUBPROTOCOL) {
          fail(new ProtocolError(ErrorCode.UNSUPPORTED_VERSION, `${url} did not select subprotocol ${SUBPROTOCOL}`));
          return;
        }
        settle();
        resolve(new BrowserTransport(socket, options));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      socket.addEventListener('open', onOpen);
      socket.addEventListener('close', onClose);
      // 'error' says nothing more than the 'close' that follows; it stays handled after settling.
      socket.addEventListener('error', () => {});
    });
}

function globalWebSocket(): BrowserSocketConstructor | undefined {
  const candidate: unknown = Reflect.get(globalThis, 'WebSocket');
  return isConstructor(candidate) ? candidate : undefined;
}

/** The global is the platform's own WebSocket class, not network data; a function check is enough. */
function isConstructor(value: unknown): value is BrowserSocketConstructor {
  return typeof value === 'function';
}
