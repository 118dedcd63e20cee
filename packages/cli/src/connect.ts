import type { Connector } from '@agentsocket/core';
import { socketIoConnector } from '@agentsocket/socketio';
import { wsConnector } from '@agentsocket/ws';

export type TransportName = 'ws' | 'socketio';

export interface Target {
  url: string;
  transport?: TransportName | undefined;
  token?: string | undefined;
  namespace?: string | undefined;
}

/** ws:// and wss:// URLs speak the binary WebSocket transport, http:// and https:// Socket.IO. */
export function transportOf(target: Target): TransportName {
  if (target.transport) return target.transport;
  const protocol = parseUrl(target.url).protocol;
  if (protocol === 'ws:' || protocol === 'wss:') return 'ws';
  if (protocol === 'http:' || protocol === 'https:') return 'socketio';
  throw new Error(`cannot tell the transport of ${target.url}: use a ws://, wss://, http:// or https:// URL, or --transport ws|socketio`);
}

function parseUrl(url: string): URL {
  try {
    return new URL(url);
  } catch {
    throw new Error(`"${url}" is not a URL (for example ws://127.0.0.1:8080/asp or http://127.0.0.1:3000)`);
  }
}

export function connectorFor(target: Target): Connector {
  if (transportOf(target) === 'ws') {
    const u = parseUrl(target.url.replace(/^http/, 'ws'));
    if (u.pathname === '/') u.pathname = '/asp'; // the reference server's default path
    return wsConnector({ url: u.toString(), ...(target.token === undefined ? {} : { token: target.token }) });
  }
  const u = parseUrl(target.url.replace(/^ws/, 'http'));
  // The path part of an http URL names the Socket.IO namespace the ASP server listens on.
  const socketNamespace = u.pathname === '/' ? undefined : u.pathname;
  return socketIoConnector({
    url: u.origin,
    ...(socketNamespace === undefined ? {} : { namespace: socketNamespace }),
    ...(target.token === undefined ? {} : { token: target.token }),
  });
}
