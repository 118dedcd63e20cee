import { AgentSocketError, type Connector, ProtocolError } from '@agentsocket/core';
import { Manager, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import { clientMeter, type Meter } from './meter.js';
import { CLOSE_EVENT, FRAME_EVENT, SocketTransport } from './socket-transport.js';

export interface SocketIoConnectorInit {
  /** The server's origin, e.g. "https://agents.example.com" (the namespace goes in `namespace`). */
  url: string;
  /** The namespace that speaks ASP. @default '/asp' */
  namespace?: string;
  /**
   * Bearer token sent as `auth.token` in the Socket.IO handshake, checked before the connection
   * is accepted. A function is called for every connection (token refresh).
   */
  token?: string | (() => string | undefined | Promise<string | undefined>);
  /**
   * Engine.IO transports, tried in order. ['polling', 'websocket'] starts on HTTP long-polling
   * and upgrades; behind several nodes that needs sticky sessions.
   * @default ['websocket']
   */
  transports?: ManagerOptions['transports'];
  /** Socket.IO's HTTP path on the server. @default '/socket.io' */
  path?: string;
  /** Largest frame sent, bytes; core also holds frames to the limit the server announces. @default Infinity */
  maxFrameBytes?: number;
  /** Bytes queued for the network before the connection is closed as too slow (4429). @default 96 MiB */
  maxBufferedBytes?: number;
  /** Time allowed for the Socket.IO connection to open. @default 20000 */
  timeoutMs?: number;
  /**
   * Further socket.io-client options (extraHeaders, query, withCredentials, …). `reconnection`,
   * `autoConnect` and `auth` are always set by the connector.
   */
  socketOptions?: Partial<ManagerOptions & SocketOptions>;
}

/**
 * A Connector for AgentClient over Socket.IO. Every call opens one fresh connection (its own
 * Manager, Socket.IO reconnection off): core reconnects and resumes the session, so a Socket.IO
 * reconnect must never bring a closed Transport back to life.
 */
export function socketIoConnector(init: SocketIoConnectorInit): Connector {
  return async (signal) => {
    signal.throwIfAborted();
    const token = typeof init.token === 'function' ? await init.token() : init.token;
    signal.throwIfAborted();
    const manager = new Manager(init.url, {
      ...init.socketOptions,
      path: init.path ?? init.socketOptions?.path ?? '/socket.io',
      transports: init.transports ?? ['websocket'],
      reconnection: false,
      autoConnect: false,
      // The connector's own timer (timeoutMs) covers the Engine.IO open too and fires first, so a
      // stall at any stage ends the same way (HANDSHAKE_TIMEOUT), not by whichever timer wins.
      timeout: (init.timeoutMs ?? 20_000) + 1000,
    });
    const socket = manager.socket(init.namespace ?? '/asp', { auth: token === undefined ? {} : { token } });
    let meter: Meter | undefined;
    const transport = new SocketTransport(
      {
        // No copy: the bytes are the transport's (Transport.send), and Engine.IO sends views as they are.
        emitFrame: (frames) => socket.emit(FRAME_EVENT, frames),
        emitClose: (code, reason) => socket.emit(CLOSE_EVENT, code, reason),
        get bufferedBytes() {
          // Engine.IO says "drain" once it handed its buffer to the WebSocket, which may still
          // hold it all for a server that stopped reading: count that socket's backlog too.
          return (meter?.bytes ?? 0) + socketBacklog(manager.engine);
        },
        disconnect: () => socket.disconnect(),
      },
      {
        maxFrameBytes: init.maxFrameBytes ?? Number.POSITIVE_INFINITY,
        maxBufferedBytes: init.maxBufferedBytes ?? 96 * 1024 * 1024,
      },
    );
    socket.onAny((event: unknown, ...args: unknown[]) => transport.receive(event, withoutOffset(event, args)));
    socket.on('disconnect', (reason) => {
      meter?.dispose();
      transport.disconnected(reason);
    });
    await opened(socket, `${init.url.replace(/\/+$/, '')}${init.namespace ?? '/asp'}`, signal, init.timeoutMs ?? 20_000);
    meter = clientMeter(manager.engine);
    return transport;
  };
}

/**
 * Resolves once the namespace is joined; otherwise rejects and tears the attempt down. Every way
 * an attempt can end is watched: a refused or failed Engine.IO open and a namespace refusal
 * (connect_error), and a connection that closes after the Engine.IO open but before the namespace
 * join (disconnect: transport close or error, ping timeout, server disconnect), so none waits
 * for the timeout.
 */
function opened(socket: Socket, where: string, signal: AbortSignal, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = (error: Error | undefined) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      socket.off('connect', onConnect);
      socket.off('connect_error', onError);
      socket.off('disconnect', onDisconnect);
      if (error === undefined) {
        resolve();
        return;
      }
      socket.disconnect();
      reject(error);
    };
    const onConnect = () => settle(undefined);
    const onError = (error: Error) => settle(connectFailure(where, error));
    const onDisconnect = (reason: string, description?: unknown) => settle(cutBeforeJoin(where, reason, description));
    const onAbort = () =>
      settle(signal.reason instanceof Error ? signal.reason : new AgentSocketError('ABORTED', `connect to ${where} aborted`, { cause: signal.reason }));
    const timer = setTimeout(
      () => settle(new AgentSocketError('HANDSHAKE_TIMEOUT', `${where}: no Socket.IO connection within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.on('connect', onConnect);
    socket.on('connect_error', onError);
    socket.on('disconnect', onDisconnect);
    signal.addEventListener('abort', onAbort, { once: true });
    socket.connect();
  });
}

/**
 * A refusal from the server's middleware carries an ASP error code (401 stops AgentClient's
 * reconnecting); anything else is a failure to connect, worth retrying.
 */
function connectFailure(where: string, error: Error): Error {
  const data: unknown = 'data' in error ? error.data : undefined;
  if (typeof data === 'object' && data !== null && 'code' in data && typeof data.code === 'number') {
    return new ProtocolError(data.code, `${where} refused the connection: ${error.message}`, { cause: error });
  }
  const detail = connectErrorDetail(error);
  const cause = detail === undefined || detail === error.message ? error.message : `${error.message} (${detail})`;
  return new AgentSocketError('HANDSHAKE_FAILED', `cannot connect to ${where} over Socket.IO: ${cause}`, { cause: error });
}

/**
 * What Engine.IO knows beneath its "websocket error" / "xhr poll error": the socket's own error
 * (ECONNREFUSED, ENOTFOUND, …; an ErrorEvent, not an Error) or the HTTP status of a failed poll.
 */
function connectErrorDetail(error: Error): string | undefined {
  const description: unknown = 'description' in error ? error.description : undefined;
  if (typeof description === 'number') return description === 0 ? 'no HTTP response' : `HTTP ${description}`;
  if (typeof description !== 'object' || description === null) return undefined;
  const inner: unknown = 'error' in description ? description.error : undefined;
  if (inner instanceof Error && inner.message) return inner.message;
  const message: unknown = 'message' in description ? description.message : undefined;
  return typeof message === 'string' && message ? message : undefined;
}

/** The connection ended after the Engine.IO open and before the namespace was joined. */
function cutBeforeJoin(where: string, reason: string, description: unknown): Error {
  const cause = description instanceof Error ? description : undefined;
  const detail = cause === undefined ? '' : `: ${cause.message}${causeText(cause)}`;
  return new AgentSocketError('CONNECTION_LOST', `${where}: connection closed before the namespace was joined (${reason}${detail})`, {
    cause: cause ?? description,
  });
}

/** engine.io-client wraps socket errors as TransportError with the underlying one in `description`. */
function causeText(error: Error): string {
  const inner: unknown = 'description' in error ? error.description : undefined;
  if (inner instanceof Error && inner.message !== '' && inner.message !== error.message) return ` (${inner.message})`;
  return '';
}

/**
 * With connectionStateRecovery on, the server appends its packet offset (a string) to every
 * event it sends. Core resumes sessions itself, so the offset is dropped.
 */
function withoutOffset(event: unknown, args: unknown[]): unknown[] {
  const arity = event === FRAME_EVENT ? 1 : event === CLOSE_EVENT ? 2 : -1;
  return arity >= 0 && args.length === arity + 1 && typeof args[arity] === 'string' ? args.slice(0, arity) : args;
}

/** Bytes the Engine.IO client's WebSocket holds unsent (0 on long-polling or before it exists). */
function socketBacklog(engine: unknown): number {
  const transport: unknown = typeof engine === 'object' && engine !== null ? Reflect.get(engine, 'transport') : undefined;
  const ws: unknown = typeof transport === 'object' && transport !== null ? Reflect.get(transport, 'ws') : undefined;
  const amount: unknown = typeof ws === 'object' && ws !== null ? Reflect.get(ws, 'bufferedAmount') : undefined;
  return typeof amount === 'number' ? amount : 0;
}
