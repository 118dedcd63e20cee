import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A server under test, in this process or a child. */
export interface BenchServer {
  readonly url: string;
  /** Bytes on every TCP connection so far (HTTP upgrade, framing and all) and CPU time used. */
  counters(): ServerCounters;
  close(): Promise<void>;
}

export interface ServerCounters {
  bytesRead: number;
  bytesWritten: number;
  /** CPU time of the whole server process (user + system), µs. Meaningful when it runs alone in a child. */
  cpuUs: number;
  /** TCP connections open now. */
  connections: number;
}

export interface CountingServer {
  readonly http: Server;
  readonly port: number;
  /** Bytes on every TCP connection so far (HTTP headers, framing and all) and the process's CPU time. */
  counters(): ServerCounters;
  close(): Promise<void>;
}

/**
 * An HTTP server on 127.0.0.1 (a free port) that counts bytes at the socket, with no request
 * handler of its own: the server under test attaches to it (ws upgrade, Socket.IO, MCP over HTTP).
 */
export async function countingServer(): Promise<CountingServer> {
  const http = createServer();
  // HTTP clients (MCP over Streamable HTTP) keep idle sockets for reuse. With Node's 5 s default the
  // server may close one just as a client whose timers run late (a busy machine) reuses it, and the
  // request fails with "other side closed"; a benchmark server keeps them for a minute.
  http.keepAliveTimeout = 60_000;
  const live = new Set<Socket>();
  let endedRead = 0;
  let endedWritten = 0;
  http.on('connection', (socket: Socket) => {
    live.add(socket);
    socket.once('close', () => {
      live.delete(socket);
      endedRead += socket.bytesRead;
      endedWritten += socket.bytesWritten;
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => resolve());
  });
  const address: AddressInfo | string | null = http.address();
  if (typeof address !== 'object' || address === null) throw new Error('server has no TCP address');
  return {
    http,
    port: address.port,
    counters: () => {
      const cpu = process.cpuUsage();
      let bytesRead = endedRead;
      let bytesWritten = endedWritten;
      for (const s of live) {
        bytesRead += s.bytesRead;
        bytesWritten += s.bytesWritten;
      }
      return { bytesRead, bytesWritten, cpuUs: cpu.user + cpu.system, connections: live.size };
    },
    close: () =>
      new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      }),
  };
}
