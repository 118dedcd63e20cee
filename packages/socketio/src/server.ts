import { createServer, type Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import {
  type AgentServer,
  AgentSocketError,
  CloseCode,
  type ConnectionInfo,
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_MAX_HELLO_BYTES,
  DEFAULT_WINDOW_BYTES,
  ErrorCode,
  type Principal,
  ProtocolError,
} from '@agentsocket/core';
import { HEADER_SIZE } from '@agentsocket/core/transport';
import { Socket as TcpSocket } from 'node:net';
import { type ExtendedError, type Namespace, Server, type ServerOptions, type Socket } from 'socket.io';
import { aspParser } from './parser.js';
import { serverMeter } from './meter.js';
import { SocketIoHub } from './hub.js';
import { ServerSocketTransport } from './server-socket.js';
import { CLOSE_EVENT, FRAME_EVENT } from './socket-transport.js';

const KiB = 1024;
/** Room for Engine.IO and Socket.IO framing around one ASP frame. */
const ENVELOPE_SLACK = 64 * KiB;

/** How long a connection may go without joining a namespace (Socket.IO's connectTimeout), as ASP's handshake timeout. */
const CONNECT_TIMEOUT_MS = DEFAULT_HANDSHAKE_TIMEOUT_MS;

/** What socketIoServer needs from an AgentServer (an AgentServer, or a wrapper around one). */
export type AcceptingServer = Pick<AgentServer, 'accept' | 'authenticate' | 'requiresAuth' | 'maxFrameBytes' | 'close'> &
  Partial<Pick<AgentServer, 'maxHelloBytes'>>;

export type NamespaceName = Parameters<Server['of']>[0];

export interface SocketIoServerInit {
  /** Takes each Socket.IO connection through the ASP handshake. */
  agentServer: AcceptingServer;
  /**
   * An existing Socket.IO server to serve ASP on (preferred: your adapter, middleware and
   * options stay yours). Its `maxHttpBufferSize` must be at least the AgentServer's
   * `maxFrameBytes` + 64 KiB.
   */
  io?: Server;
  /** An HTTP(S) server to attach a new Socket.IO server to, when `io` is not given. */
  server?: HttpServer | HttpsServer;
  /** A port for a new HTTP server, when neither `io` nor `server` is given (0 picks a free one). */
  port?: number;
  /** Host to listen on with `port`. @default all interfaces */
  host?: string;
  /**
   * The namespace that speaks ASP. A RegExp or function serves a family of dynamic namespaces
   * (one per team), each connection reporting its own in `ConnectionInfo.path`.
   * @default '/asp'
   */
  namespace?: NamespaceName;
  /**
   * Each Socket.IO namespace is the ASP team namespace of the same name (`/team-alpha` here is
   * `/team-alpha` in ASP): it goes into `ConnectionInfo.namespace`, so HELLO may omit `ns` and a
   * different one is refused (403). socketIoHub needs this. `namespace` must then be a string
   * or a RegExp: the hub opens namespaces by name with `io.of()`, which Socket.IO attaches to a
   * RegExp parent but not to a function one.
   * @default false (HELLO picks the team; all teams share the one Socket.IO namespace)
   */
  teamNamespaces?: boolean;
  /**
   * Engine.IO transports of a Socket.IO server created here. Add 'polling' for clients that
   * cannot open a WebSocket; behind several nodes that needs sticky sessions.
   * @default ['websocket']
   */
  transports?: ServerOptions['transports'];
  /**
   * Further options for a Socket.IO server created here.
   * @default maxHttpBufferSize: maxFrameBytes + 8 + 64 KiB (× 4/3 for the frame when polling is on, which base64-encodes binary);
   *   parser: aspParser (one attachment per event, text packets up to 64 KiB); cleanupEmptyChildNamespaces: true;
   *   connectTimeout: 10000
   */
  serverOptions?: Partial<ServerOptions>;
  /**
   * Bytes queued for one connection before it is closed as a slow consumer (4429). It must
   * exceed the session window (core default 64 MiB) plus a frame, or a resume's replay could
   * trip it.
   * @default 64 MiB + 2 × the AgentServer's maxFrameBytes
   */
  maxBufferedBytes?: number;
}

export interface SocketIoServer {
  readonly io: Server;
  /** The namespace (or parent namespace) serving ASP. */
  readonly namespace: Namespace;
  /** The port listened on, when this function created the HTTP server from `port`. */
  readonly port: number | undefined;
  /** ASP connections open on this server. */
  readonly connections: number;
  /** Cuts every connection as a network failure would, so clients resume (tests, failover drills). */
  dropConnections(): void;
  /**
   * As wsServer's close(): `agentServer.close()` (GOAWAY to every session, which stays resumable
   * only with a shared SessionStore), then closes every ASP connection left (1001) and refuses
   * new ones. A Socket.IO server created here is closed too, and with it the HTTP server it is
   * attached to; an `io` passed in keeps running.
   */
  close(): Promise<void>;
}

/** Serves an AgentServer over Socket.IO: every socket on the namespace becomes one Transport. */
export async function socketIoServer(init: SocketIoServerInit): Promise<SocketIoServer> {
  const { agentServer } = init;
  const teamNamespaces = init.teamNamespaces ?? false;
  if (teamNamespaces && typeof init.namespace === 'function') {
    throw new AgentSocketError('INVALID_OPTIONS', 'teamNamespaces needs `namespace` as a string or a RegExp, not a function');
  }
  // Fail at start-up rather than at every handshake: the hub keeps rooms in each team's own namespace.
  if (!teamNamespaces && 'hub' in agentServer && agentServer.hub instanceof SocketIoHub) {
    throw new AgentSocketError('INVALID_OPTIONS', 'an AgentServer with socketIoHub needs socketIoServer({ teamNamespaces: true })');
  }
  const maxFrameBytes = agentServer.maxFrameBytes + HEADER_SIZE;
  const maxBufferedBytes = init.maxBufferedBytes ?? DEFAULT_WINDOW_BYTES + 2 * agentServer.maxFrameBytes;
  const owned = init.io === undefined;
  const { io, port } = init.io ? { io: init.io, port: undefined } : await createIo(init, maxFrameBytes);
  if (init.io) checkBufferSize(init.io, maxFrameBytes);

  const nsp = io.of(init.namespace ?? '/asp');
  const principals = new WeakMap<Socket, Principal>();
  const open = new Map<Socket, ServerSocketTransport>();
  let closing = false;
  /** Engine.IO connections still counting what they read before their HELLO: how to stop counting. */
  const counting = new WeakMap<Socket['conn'], () => void>();
  /** ASP sockets open on each Engine.IO connection (a client may multiplex several namespaces). */
  const perConnection = new WeakMap<Socket['conn'], number>();
  if (owned) {
    // The main namespace is always there and has no middleware: no one has any business on it here.
    if (nsp.name !== '/') io.of('/').use((_socket, next) => next(connectError(new Refusal(ErrorCode.FORBIDDEN, 'no namespace / here'))));
    const limit = 2 * (agentServer.maxHelloBytes ?? DEFAULT_MAX_HELLO_BYTES) + ENVELOPE_SLACK;
    io.engine.on('connection', (conn: Socket['conn']) => countUntilHello(conn, limit, counting));
  }

  nsp.use((socket, next) => {
    admit(socket).then(
      () => next(),
      (error: unknown) => next(connectError(error)),
    );
  });

  async function admit(socket: Socket): Promise<void> {
    if (closing) throw new Refusal(ErrorCode.UNAVAILABLE, 'server is shutting down');
    const token = handshakeToken(socket);
    // No token at the handshake: the client may still send one in HELLO, where core checks it.
    if (token === undefined && agentServer.requiresAuth) return;
    let principal: Principal | undefined;
    try {
      principal = await agentServer.authenticate(token, connectionInfo(socket, undefined, teamNamespaces));
    } catch (error) {
      throw new Refusal(ErrorCode.UNAVAILABLE, 'authentication failed', error);
    }
    if (!principal) throw new Refusal(ErrorCode.UNAUTHORIZED, 'unauthorized: missing or invalid token');
    principals.set(socket, principal);
  }

  // One object for every socket's transport, which keeps it by reference.
  const transportOptions = { maxFrameBytes, maxBufferedBytes };
  const onConnection = (socket: Socket) => {
    if (closing) {
      socket.disconnect();
      return;
    }
    const meter = serverMeter(socket.conn);
    const transport = new ServerSocketTransport(
      socket,
      {
        // A Buffer view, no copy: the transport hands over bytes that are already its own.
        emitFrame: (frames) => socket.emit(FRAME_EVENT, Buffer.from(frames.buffer, frames.byteOffset, frames.byteLength)),
        emitClose: (code, reason) => socket.emit(CLOSE_EVENT, code, reason),
        get bufferedBytes() {
          return meter.bytes;
        },
        // Abrupt ends the whole connection without flushing; otherwise leave just this namespace.
        disconnect: (abrupt) => (abrupt ? socket.conn.close(true) : socket.disconnect()),
      },
      transportOptions,
    );
    open.set(socket, transport);
    socket.onAny((event: unknown, ...args: unknown[]) => {
      counting.get(socket.conn)?.(); // the first event is the HELLO
      transport.receive(event, args);
    });
    // Socket.IO logs every decoding error of a socket without a listener; the disconnect that follows reports it.
    socket.on('error', ignore);
    perConnection.set(socket.conn, (perConnection.get(socket.conn) ?? 0) + 1);
    socket.on('disconnect', (reason) => {
      open.delete(socket);
      meter.dispose();
      transport.disconnected(reason);
      const left = (perConnection.get(socket.conn) ?? 1) - 1;
      perConnection.set(socket.conn, left);
      // On a server made here nothing but ASP lives: a connection without an ASP socket (refused,
      // timed out in the handshake, closed) would otherwise stay open for as long as it answers pings.
      if (owned && left === 0) socket.conn.close();
    });
    try {
      agentServer.accept(transport, connectionInfo(socket, principals.get(socket), teamNamespaces));
    } catch (error) {
      // Never throw into Socket.IO's connection callback: end this one connection instead.
      void transport.close(CloseCode.INTERNAL_ERROR, `accept failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  nsp.on('connection', onConnection);

  return {
    io,
    namespace: nsp,
    port,
    get connections() {
      return open.size;
    },
    dropConnections() {
      for (const socket of [...open.keys()]) socket.conn.close(true);
    },
    async close() {
      closing = true;
      agentServer.close();
      nsp.off('connection', onConnection);
      await Promise.all([...open.values()].map((t) => t.close(CloseCode.GOING_AWAY, 'socket.io server closing')));
      if (owned) await io.close();
    },
  };
}

async function createIo(init: SocketIoServerInit, maxFrameBytes: number): Promise<{ io: Server; port: number | undefined }> {
  const transports = init.transports ?? ['websocket'];
  // Long-polling carries binary as base64, a third larger than the frame.
  const encoded = transports.includes('polling') ? Math.ceil((maxFrameBytes * 4) / 3) : maxFrameBytes;
  const options: Partial<ServerOptions> = {
    maxHttpBufferSize: encoded + ENVELOPE_SLACK,
    serveClient: false,
    parser: aspParser,
    // Namespaces made for clients that were then refused (a RegExp or function `namespace`) go too.
    cleanupEmptyChildNamespaces: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    ...init.serverOptions,
    transports,
  };
  if (init.server) return { io: new Server(init.server, options), port: undefined };
  const http = createServer();
  const io = new Server(http, options);
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(init.port ?? 0, init.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const address: AddressInfo | string | null = http.address();
  return { io, port: typeof address === 'object' && address !== null ? address.port : undefined };
}

/** A Socket.IO server that drops frames the AgentServer accepts would break every big call. */
function checkBufferSize(io: Server, maxFrameBytes: number): void {
  // Undefined until the io is attached to an HTTP server; it is checked when it is.
  const engine: Server['engine'] | undefined = io.engine;
  const size = engine?.opts.maxHttpBufferSize;
  if (size !== undefined && size < maxFrameBytes + ENVELOPE_SLACK) {
    throw new AgentSocketError(
      'INVALID_OPTIONS',
      `the Socket.IO server's maxHttpBufferSize (${size}) is below the AgentServer's maxFrameBytes + 64 KiB ` +
        `(${maxFrameBytes + ENVELOPE_SLACK}); raise it, or lower maxFrameBytes`,
    );
  }
}

/**
 * Counts the bytes an Engine.IO connection over WebSocket reads before its ASP HELLO has arrived
 * (on the TCP socket, as they are read); past `limit` the socket is destroyed at once, before
 * Engine.IO has buffered a whole message of up to maxHttpBufferSize.
 */
function countUntilHello(conn: Socket['conn'], limit: number, counting: WeakMap<Socket['conn'], () => void>): void {
  const stream: unknown = conn.request?.socket;
  if (conn.transport.name !== 'websocket' || !(stream instanceof TcpSocket)) return;
  const start = stream.bytesRead;
  const onData = () => {
    if (stream.bytesRead - start > limit) stream.destroy();
  };
  const stop = () => {
    counting.delete(conn);
    stream.off('data', onData);
  };
  stream.on('data', onData);
  stream.once('close', stop);
  counting.set(conn, stop);
}

function ignore(): void {}

function handshakeToken(socket: Socket): string | undefined {
  const fromAuth: unknown = socket.handshake.auth['token'];
  if (typeof fromAuth === 'string' && fromAuth !== '') return fromAuth;
  const header = socket.handshake.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1];
}

function connectionInfo(socket: Socket, principal: Principal | undefined, teamNamespaces: boolean): ConnectionInfo {
  return {
    transport: 'socket.io',
    id: socket.id,
    remoteAddress: socket.handshake.address,
    path: socket.nsp.name,
    headers: socket.handshake.headers,
    ...(principal ? { principal } : {}),
    ...(teamNamespaces ? { namespace: socket.nsp.name } : {}),
  };
}

/** A handshake refused with an ASP error code (the client's connect_error carries it). */
class Refusal extends ProtocolError {
  override readonly name: string = 'Refusal';
  constructor(code: number, message: string, cause?: unknown) {
    super(code, message, cause === undefined ? undefined : { cause });
  }
}

/** The client sees `message` in connect_error and `data.code` as the ASP error code. */
function connectError(error: unknown): ExtendedError {
  const code = error instanceof Refusal ? error.code : ErrorCode.UNAVAILABLE;
  const message = error instanceof Refusal ? error.message : 'connection refused';
  return Object.assign(new Error(message), { data: { code } });
}
