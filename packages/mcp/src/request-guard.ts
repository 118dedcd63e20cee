import type { IncomingMessage } from 'node:http';
import { isIPv6 } from 'node:net';

/**
 * DNS rebinding protection for the Streamable HTTP endpoint (MCP transports spec, "Security
 * Warning": servers MUST validate Origin). Host names compare without port, as the SDK's
 * `hostHeaderValidation` does; origins compare as `URL.origin`.
 */
export interface RequestGuardOptions {
  /**
   * Host header names (no port; IPv6 in brackets) a request may carry, or 'any' to skip the check.
   * @default ['localhost', '127.0.0.1', '[::1]'] plus the IP address the request arrived on
   */
  allowedHosts?: readonly string[] | 'any';
  /**
   * Origin header values (`scheme://host[:port]`) a request may carry, or 'any' to skip the check.
   * A request without Origin (not from a browser) always passes this check.
   * @default any origin whose host name passes the Host check
   */
  allowedOrigins?: readonly string[] | 'any';
}

export type GuardVerdict = { ok: true } | { ok: false; message: string };

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/** Builds the check once; run it on every request before MCP sees it. */
export function requestGuard(options: RequestGuardOptions = {}): (req: IncomingMessage) => GuardVerdict {
  const hosts = options.allowedHosts === 'any' ? 'any' : new Set((options.allowedHosts ?? []).map(hostnameOf).filter(isString));
  const defaultHosts = options.allowedHosts === undefined;
  const origins = options.allowedOrigins === 'any' || options.allowedOrigins === undefined ? options.allowedOrigins : new Set(options.allowedOrigins.map(originOf).filter(isString));

  const hostAllowed = (name: string, req: IncomingMessage): boolean => {
    if (hosts === 'any') return true;
    if (hosts.has(name)) return true;
    return defaultHosts && (LOOPBACK_NAMES.includes(name) || name === localAddressName(req));
  };

  return (req) => {
    const host = req.headers.host;
    if (hosts !== 'any') {
      if (host === undefined || host === '') return { ok: false, message: 'Forbidden: the request has no Host header' };
      const name = hostnameOf(host);
      if (name === undefined) return { ok: false, message: `Forbidden: invalid Host header "${host}"` };
      if (!hostAllowed(name, req)) return { ok: false, message: `Forbidden: Host "${name}" is not allowed (see the allowedHosts option)` };
    }
    const origin = req.headers.origin;
    if (origin === undefined || origins === 'any') return { ok: true };
    const normalized = originOf(origin);
    if (normalized === undefined) return { ok: false, message: `Forbidden: Origin "${origin}" is not allowed (see the allowedOrigins option)` };
    const allowed = origins === undefined ? hostAllowed(new URL(normalized).hostname, req) : origins.has(normalized);
    return allowed ? { ok: true } : { ok: false, message: `Forbidden: Origin "${origin}" is not allowed (see the allowedOrigins option)` };
  };
}

/** `example.com:3000` → `example.com`, `[::1]:3000` → `[::1]`; undefined when it is no host. */
function hostnameOf(host: string): string | undefined {
  try {
    const url = new URL(`http://${host}`);
    // Anything beyond host[:port] (a path, credentials) is not a Host header.
    if (url.username !== '' || url.password !== '' || url.pathname !== '/' || url.search !== '' || url.hash !== '') return undefined;
    return url.hostname === '' ? undefined : url.hostname;
  } catch {
    return undefined;
  }
}

/** `HTTP://Example.com:80` → `http://example.com`; undefined for `null` and what is no http(s) origin. */
function originOf(origin: string): string | undefined {
  try {
    const url = new URL(origin);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

/** The local IP the request came in on, as a Host header would name it. */
function localAddressName(req: IncomingMessage): string | undefined {
  const address = req.socket.localAddress;
  if (address === undefined) return undefined;
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (v4 !== undefined) return v4;
  return hostnameOf(isIPv6(address) ? `[${address}]` : address);
}

function isString(value: string | undefined): value is string {
  return value !== undefined;
}
