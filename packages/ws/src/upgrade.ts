import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { SUBPROTOCOL } from '@agentsocket/core/transport';

/** What the Authorization header of an upgrade says. */
export type BearerResult = { readonly kind: 'none' } | { readonly kind: 'token'; readonly token: string } | { readonly kind: 'malformed' };

/** Reads `Authorization: Bearer <token>`; any other scheme or shape is malformed. */
export function readBearer(header: string | undefined): BearerResult {
  if (header === undefined) return { kind: 'none' };
  const match = /^Bearer +([^\s]+) *$/i.exec(header);
  const token = match?.[1];
  return token === undefined ? { kind: 'malformed' } : { kind: 'token', token };
}

/** True when the Sec-WebSocket-Protocol header offers asp-v1. */
export function offersSubprotocol(header: string | undefined): boolean {
  if (header === undefined) return false;
  return header.split(',').some((p) => p.trim() === SUBPROTOCOL);
}

/** ws `handleProtocols`: select asp-v1 or refuse. Pass it to a WebSocketServer you create yourself. */
export function selectSubprotocol(protocols: Set<string>): string | false {
  return protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false;
}

/** Answers an upgrade request with a plain HTTP error and ends the socket. */
export function refuseUpgrade(socket: Duplex, status: number, message: string, headers: Record<string, string> = {}): void {
  if (socket.destroyed) return;
  const body = `${message}\n`;
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    'Connection: close',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  socket.once('finish', () => socket.destroy());
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}
