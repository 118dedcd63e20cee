import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  type AgentServer,
  AgentSocketError,
  CloseCode,
  type ConnectionInfo,
  Emitter,
  type Principal,
} from '@agentsocket/core';
import { HeartbeatClock, SUBPROTOCOL } from '@agentsocket/core/transport';
import { type PerMessageDeflateOptions, WebSocket, WebSocketServer } from 'ws';
import { CLOSE_GRACE_MS, DEFAULT_PATH, DEFAULT_PING_INTERVAL_MS, defaultFirstMessageBytes, defaultMaxBufferedBytes, defaultMaxPayload } from './defaults.js';
import { SocketTransport, type SocketTransportOptions } from './socket-transport.js';
import { offersSubprotocol, readBearer, refuseUpgrade, selectSubprotocol } from './upgrade.js';

/** Where to serve: exactly one of `port`, `server` or `wss`. */
export interface WsServerInit {
  /** Takes every accepted connection through the ASP handshake. */
  agentServer: AgentServer;
  /** Listen on this port; 0 picks a free one (read it from `address()`). @default undefined */
  port?: number;
  /** Interface to bind with `port`. @default undefined (every interface, as `net.Server.listen`) */
  host?: string;
  /** Share an existing HTTP(S) server's port: only upgrades on `path` are taken, the rest is left alone. @default undefined */
  server?: HttpServer | HttpsServer;
  /**
   * An existing WebSocketServer in noServer mode (tRPC style). Route upgrades to `handle.handleUpgrade`
   * for HTTP 401/426 refusals, or upgrade them yourself and refusals become close codes 4401/4426.
   * Its own `maxPayload`, `perMessageDeflate` and `handleProtocols` apply. @default undefined
   */
  wss?: WebSocketServer;
  /** Request path served with `port` or `server`. @default '/asp' */
  path?: string;
  /**
   * Hard cap on one incoming message, enforced by ws, which closes with 1009 above it; also the
   * largest frame this end sends. @default agentServer.maxFrameBytes * 2 + 64 KiB
   */
  maxPayload?: number;
  /** Unsent bytes a socket may hold; the next send past it closes with 4429 SLOW_CONSUMER. @default 64 MiB + maxPayload */
  maxBufferedBytes?: number;
  /** WebSocket ping interval, ms; a socket with no pong by the next ping is ended with HEARTBEAT_TIMEOUT. 0 disables. @default 30000 */
  pingIntervalMs?: number;
  /**
   * Most open connections (upgrades being checked count too). An upgrade past it is refused with
   * HTTP 503 and `Retry-After: 1` before any WebSocket exists, so the connections already open
   * keep their share of the process instead of everyone degrading. @default unlimited
   */
  maxConnections?: number;
  /** permessage-deflate: false, true, or ws's options for it. Not used with `wss`. @default false */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
}

export type WsServerEvents = {
  /** Something failed outside any one connection (the authenticate hook threw, the listener failed). */
  error: [Error];
};

/** A running ws endpoint for an AgentServer. */
export interface WsServer {
  readonly agentServer: AgentServer;
  readonly wss: WebSocketServer;
  readonly path: string;
  /** Open sockets accepted here, e.g. to end them abruptly in a failover drill. */
  readonly sockets: ReadonlySet<WebSocket>;
  /** The bound address of the HTTP server in use, if any is listening. */
  address(): AddressInfo | undefined;
  /** `ws://host:port/path` of the listening server, if there is one. */
  readonly url: string | undefined;
  /** Checks and upgrades one request (wired automatically with `port` and `server`). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  on<K extends keyof WsServerEvents>(event: K, listener: (...args: WsServerEvents[K]) => void): () => void;
  /** AgentServer.close() (GOAWAY), then closes the sockets and what this handle created. */
  close(): Promise<void>;
}

type Verdict = { readonly ok: true; readonly principal: Principal | undefined } | { readonly ok: false; readonly message: string };

/** Serves an AgentServer over binary WebSockets. Resolves once listening when `port` is given. */
export async function wsServer(init: WsServerInit): Promise<WsServer> {
  const modes = [init.port, init.server, init.wss].filter((m) => m !== undefined).length;
  if (modes !== 1) throw new AgentSocketError('INVALID_OPTIONS', 'wsServer needs exactly one of port, server or wss');
  const max = init.maxConnections;
  if (max !== undefined && (!Number.isSafeInteger(max) || max < 1)) {
    throw new AgentSocketError('INVALID_OPTIONS', `maxConnections must be a positive integer, got ${String(max)}`);
  }
  if (init.port === undefined) return new Endpoint(init, undefined);
  const http = createServer((_req, res) => {
    res.writeHead(426, { 'Content-Type': 'text/plain; charset=utf-8', Upgrade: 'websocket' });
    res.end(`WebSocket endpoint (subprotocol ${SUBPROTOCOL})\n`);
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen({ port: init.port, host: init.host }, () => {
      http.off('error', reject);
      resolve();
    });
  });
  return new Endpoint(init, http);
}

class Endpoint extends Emitter<WsServerEvents> implements WsServer {
  readonly agentServer: AgentServer;
  readonly wss: WebSocketServer;
  readonly path: string;
  private readonly http: HttpServer | HttpsServer | undefined;
  private readonly ownedHttp: HttpServer | undefined;
  private readonly ownsWss: boolean;
  private readonly maxPayload: number;
  /** One ping timer for every socket of this endpoint, not one each. */
  private readonly pings = new HeartbeatClock();
  /** One options object for every socket's transport, which keeps it by reference. */
  private readonly transportOptions: SocketTransportOptions;
  private readonly open = new Set<WebSocket>();
  private readonly maxConnections: number;
  /** Upgrades accepted for checking and not yet open or refused (they count toward maxConnections). */
  private upgrading = 0;
  /** Drops a closed socket from `open`: one function for every socket, not a closure each. */
  private readonly untrack: (socket: WebSocket) => void;
  /** Requests this handle already checked at the upgrade, with the principal it found. */
  private readonly verified = new WeakMap<IncomingMessage, Verdict>();
  private readonly detach: (() => void)[] = [];
  private closing: Promise<void> | undefined;

  constructor(init: WsServerInit, ownedHttp: HttpServer | undefined) {
    super();
    this.agentServer = init.agentServer;
    this.path = init.path ?? DEFAULT_PATH;
    this.maxPayload = init.maxPayload ?? defaultMaxPayload(init.agentServer.maxFrameBytes);
    this.maxConnections = init.maxConnections ?? Number.POSITIVE_INFINITY;
    this.ownedHttp = ownedHttp;
    this.http = ownedHttp ?? init.server;
    this.ownsWss = init.wss === undefined;
    const open = this.open;
    this.untrack = (socket) => {
      open.delete(socket);
    };
    this.transportOptions = {
      maxFrameBytes: this.maxPayload,
      maxBufferedBytes: init.maxBufferedBytes ?? defaultMaxBufferedBytes(this.maxPayload),
      pingIntervalMs: init.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS,
      pings: this.pings,
      onSocketClose: this.untrack,
      firstMessageBytes: defaultFirstMessageBytes(init.agentServer.maxHelloBytes),
    };
    this.wss =
      init.wss ??
      new WebSocketServer({
        noServer: true,
        clientTracking: false,
        maxPayload: this.maxPayload,
        perMessageDeflate: init.perMessageDeflate ?? false,
        handleProtocols: selectSubprotocol,
      });
    const onConnection = (socket: WebSocket, req: IncomingMessage) => this.onConnection(socket, req);
    this.wss.on('connection', onConnection);
    this.detach.push(() => this.wss.off('connection', onConnection));
    const http = this.http;
    if (http) {
      const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        if (pathOf(req) === this.path) {
          this.handleUpgrade(req, socket, head);
        } else if (http.listenerCount('upgrade') === 1) {
          refuseUpgrade(socket, 404, 'no WebSocket endpoint on this path'); // nobody else will answer it
        }
      };
      http.on('upgrade', onUpgrade);
      this.detach.push(() => http.off('upgrade', onUpgrade));
    }
    if (ownedHttp) ownedHttp.on('error', (error) => this.emit('error', error));
  }

  get sockets(): ReadonlySet<WebSocket> {
    return this.open;
  }

  address(): AddressInfo | undefined {
    const address = this.http?.address();
    return typeof address === 'object' && address !== null ? address : undefined;
  }

  get url(): string | undefined {
    const address = this.address();
    if (!address) return undefined;
    const unspecified = address.address === '0.0.0.0' || address.address === '::';
    const host = unspecified ? '127.0.0.1' : address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const scheme = this.http instanceof HttpsServer ? 'wss' : 'ws';
    return `${scheme}://${host}:${address.port}${this.path}`;
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // A client may vanish while we authenticate; its error must not reach the process.
    socket.on('error', ignore);
    this.upgrade(req, socket, head).catch((error: unknown) => {
      this.emit('error', asError(error));
      refuseUpgrade(socket, 500, 'authentication failed on the server');
    });
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private get atCapacity(): boolean {
    return this.open.size + this.upgrading >= this.maxConnections;
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    if (this.closing) return refuseUpgrade(socket, 503, 'server is shutting down');
    if (this.atCapacity) return refuseCapacity(socket, this.maxConnections);
    this.upgrading++;
    try {
      await this.checkAndUpgrade(req, socket, head);
    } finally {
      this.upgrading--;
    }
  }

  private async checkAndUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    if (!offersSubprotocol(header(req, 'sec-websocket-protocol'))) {
      return refuseUpgrade(socket, 426, `WebSocket subprotocol ${SUBPROTOCOL} required`, { 'Sec-WebSocket-Protocol': SUBPROTOCOL });
    }
    const verdict = await this.authorize(req, connectionInfo(req, undefined));
    if (!verdict.ok) return refuseUpgrade(socket, 401, verdict.message, { 'WWW-Authenticate': 'Bearer' });
    if (socket.destroyed) return;
    if (this.closing) return refuseUpgrade(socket, 503, 'server is shutting down');
    this.verified.set(req, verdict);
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      // ws listens for the socket's errors from here on; ours would stay for the connection's lifetime.
      socket.off('error', ignore);
      this.wss.emit('connection', ws, req);
    });
  }

  private async authorize(req: IncomingMessage, info: ConnectionInfo): Promise<Verdict> {
    const bearer = readBearer(header(req, 'authorization'));
    switch (bearer.kind) {
      case 'none':
        return { ok: true, principal: undefined }; // a browser: core checks the token in HELLO
      case 'malformed':
        return { ok: false, message: 'Authorization header must be "Bearer <token>"' };
      case 'token': {
        const principal = await this.agentServer.authenticate(bearer.token, info);
        return principal ? { ok: true, principal } : { ok: false, message: 'invalid bearer token' };
      }
    }
  }

  private onConnection(socket: WebSocket, req: IncomingMessage): void {
    const transport = new SocketTransport(socket, this.transportOptions);
    // Upgraded by the owner of a `wss` without handleUpgrade: the capacity check comes only now.
    const over = !this.verified.has(req) && this.open.size + this.upgrading >= this.maxConnections;
    this.open.add(socket);
    if (over) {
      void transport.close(CloseCode.SERVER_SHUTDOWN, `server at capacity (maxConnections ${this.maxConnections}); try again later`);
      return;
    }
    if (socket.protocol !== SUBPROTOCOL) {
      void transport.close(CloseCode.UNSUPPORTED_VERSION, `WebSocket subprotocol ${SUBPROTOCOL} required`);
      return;
    }
    const checked = this.verified.get(req);
    this.verified.delete(req);
    // Upgraded by the owner of a `wss` without handleUpgrade: check now, refuse with a close code.
    const verdict = checked ? Promise.resolve(checked) : this.authorize(req, connectionInfo(req, undefined));
    verdict.then(
      (v) => {
        if (!v.ok) void transport.close(CloseCode.UNAUTHORIZED, v.message);
        else if (transport.open) this.agentServer.accept(transport, connectionInfo(req, v.principal));
      },
      (error: unknown) => {
        this.emit('error', asError(error));
        void transport.close(CloseCode.INTERNAL_ERROR, 'authentication failed on the server');
      },
    );
  }

  private async shutdown(): Promise<void> {
    this.agentServer.close();
    const http = this.ownedHttp;
    // Stop listening first, and keep answering upgrades until the end: one that arrives meanwhile
    // gets 503 (retry elsewhere), not the plain request handler's 426, which clients take as final.
    const stopped = http ? new Promise<void>((resolve) => http.close(() => resolve())) : undefined;
    await Promise.all([...this.open].map(endSocket));
    for (const off of this.detach) off();
    if (this.ownsWss) this.wss.close();
    if (http) {
      http.closeAllConnections();
      await stopped;
    }
  }
}

/** The refusal past `maxConnections`: 503, so a client or a load balancer tries again or elsewhere. */
function refuseCapacity(socket: Duplex, max: number): void {
  refuseUpgrade(socket, 503, `server at capacity (maxConnections ${max}); try again later or another node`, { 'Retry-After': '1' });
}

/** Closes one socket politely, then destroys it if the peer does not finish the close in time. */
function endSocket(socket: WebSocket): Promise<void> {
  if (socket.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => socket.terminate(), CLOSE_GRACE_MS);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    if (socket.readyState === WebSocket.OPEN) socket.close(CloseCode.SERVER_SHUTDOWN, 'server is shutting down');
  });
}

function connectionInfo(req: IncomingMessage, principal: Principal | undefined): ConnectionInfo {
  const socket = req.socket;
  return {
    transport: 'ws',
    path: pathOf(req),
    headers: req.headers,
    // Read when asked: once read, node keeps the address on the socket for the connection's lifetime.
    get remoteAddress() {
      return socket.remoteAddress;
    },
    ...(principal === undefined ? {} : { principal }),
  };
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

function ignore(): void {}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
