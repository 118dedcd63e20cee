import type { IncomingMessage } from 'node:http';
import { AgentSocketError, type Connector, ErrorCode, ProtocolError } from '@agentsocket/core';
import { SUBPROTOCOL } from '@agentsocket/core/transport';
import { type PerMessageDeflateOptions, WebSocket } from 'ws';
import { CORE_DEFAULT_MAX_FRAME_BYTES, DEFAULT_OPEN_TIMEOUT_MS, defaultMaxBufferedBytes, defaultMaxPayload } from './defaults.js';
import { SocketTransport } from './socket-transport.js';

/** Options for the Node client (on `ws`). */
export interface WsClientInit {
  /** The server endpoint, e.g. `ws://127.0.0.1:8080/asp`. */
  url: string | URL;
  /** Sent as `Authorization: Bearer <token>` on the upgrade. @default undefined */
  token?: string;
  /** Extra HTTP headers for the upgrade request. @default {} */
  headers?: Record<string, string>;
  /** Subprotocols offered besides asp-v1, which is always offered first. @default [] */
  protocols?: string[];
  /** Hard cap on one incoming message (ws closes with 1009 above it); also the largest frame sent. @default 16 MiB * 2 + 64 KiB */
  maxPayload?: number;
  /** Unsent bytes the socket may hold; the next send past it closes with 4429 SLOW_CONSUMER. @default 64 MiB + maxPayload */
  maxBufferedBytes?: number;
  /** WebSocket ping interval, ms; 0 disables (core's PING/PONG already watches the server). @default 0 */
  pingIntervalMs?: number;
  /** permessage-deflate: false, true, or ws's options for it. @default false */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  /** Time allowed for the TCP connect and the upgrade, ms. @default 10000 */
  openTimeoutMs?: number;
}

/** HTTP statuses at the upgrade that reconnecting cannot fix; they reject as that wire error. */
const REFUSALS = new Set<number>([ErrorCode.UNAUTHORIZED, ErrorCode.FORBIDDEN, ErrorCode.UNSUPPORTED_VERSION]);

/**
 * A Connector for AgentClient over `ws`: each call opens one socket and resolves once it is open.
 * Reconnect and resume are AgentClient's job; it calls the connector again.
 */
export function wsConnector(init: WsClientInit): Connector {
  const url = String(init.url);
  const protocols = [SUBPROTOCOL, ...(init.protocols ?? []).filter((p) => p !== SUBPROTOCOL)];
  const headers: Record<string, string> = { ...init.headers };
  if (init.token !== undefined) headers['authorization'] = `Bearer ${init.token}`;
  const maxPayload = init.maxPayload ?? defaultMaxPayload(CORE_DEFAULT_MAX_FRAME_BYTES);
  const transportOptions = {
    maxFrameBytes: maxPayload,
    maxBufferedBytes: init.maxBufferedBytes ?? defaultMaxBufferedBytes(maxPayload),
    pingIntervalMs: init.pingIntervalMs ?? 0,
  };
  const openTimeoutMs = init.openTimeoutMs ?? DEFAULT_OPEN_TIMEOUT_MS;

  return (signal) =>
    new Promise((resolve, reject) => {
      if (signal.aborted) {
        reject(new AgentSocketError('ABORTED', `connect to ${url} aborted`, { cause: signal.reason }));
        return;
      }
      let socket: WebSocket;
      try {
        socket = new WebSocket(url, protocols, { headers, maxPayload, perMessageDeflate: init.perMessageDeflate ?? false });
      } catch (error) {
        reject(new AgentSocketError('INVALID_OPTIONS', `cannot open ${url}: ${messageOf(error)}`, { cause: error }));
        return;
      }
      let settled = false;
      const fail = (error: Error) => {
        if (settled) return;
        settled = true;
        cleanup();
        socket.terminate();
        reject(error);
      };
      const onAbort = () => fail(new AgentSocketError('ABORTED', `connect to ${url} aborted`, { cause: signal.reason }));
      const timer = setTimeout(() => fail(new AgentSocketError('TIMEOUT', `${url} did not open within ${openTimeoutMs} ms`)), openTimeoutMs);
      const onError = (error: Error) => fail(new AgentSocketError('CONNECTION_LOST', `cannot connect to ${url}: ${error.message}`, { cause: error }));
      const onResponse = (_req: unknown, res: IncomingMessage) => {
        readBody(res, (body) => fail(refusal(url, res.statusCode ?? 0, body)));
      };
      const onOpen = () => {
        if (socket.protocol !== SUBPROTOCOL) {
          fail(new ProtocolError(ErrorCode.UNSUPPORTED_VERSION, `${url} did not select subprotocol ${SUBPROTOCOL}`));
          return;
        }
        settled = true;
        cleanup();
        resolve(new SocketTransport(socket, transportOptions));
      };
      const cleanup = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        socket.off('open', onOpen);
        socket.off('unexpected-response', onResponse);
        // ws still emits 'error' after terminate(); keep a listener so it is not thrown.
        socket.off('error', onError);
        socket.on('error', () => {});
      };
      signal.addEventListener('abort', onAbort, { once: true });
      socket.on('open', onOpen);
      socket.on('error', onError);
      socket.on('unexpected-response', onResponse);
    });
}

/** The error for an HTTP answer other than 101 to the upgrade. */
function refusal(url: string, status: number, body: string): Error {
  const detail = body.trim() ? `: ${body.trim()}` : '';
  const message = `${url} refused the upgrade with HTTP ${status}${detail}`;
  return REFUSALS.has(status) ? new ProtocolError(status, message) : new AgentSocketError('HANDSHAKE_FAILED', message);
}

/** Collects up to 512 bytes of a refusal's body for the error message. */
function readBody(res: IncomingMessage, done: (body: string) => void): void {
  let body = '';
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    done(body.slice(0, 512));
  };
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => {
    body += chunk;
    if (body.length >= 512) finish();
  });
  res.on('end', finish);
  res.on('error', finish);
  res.on('close', finish);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
