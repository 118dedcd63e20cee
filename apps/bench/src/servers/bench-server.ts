import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A server under test, in this process or a child. */
export interface BenchServer {
  readonly url: string;
  /** Bytes on every TCP connection so far (HTTP upgrade, WebSocket framing and all) and CPU time used. */
  counters(): ServerCounters;
  close(): Promise<void>;
}

export interface ByteCounters {
  bytesRead: number;
  bytesWritten: number;
}

export interface ServerCounters extends ByteCounters {
  /** CPU time of the whole server process (user + system), µs. Meaningful when it runs alone in a child. */
  cpuUs: number;
}

/** An HTTP server on 127.0.0.1 (free port) that counts bytes at the socket. */
export async function listenCounting(): Promise<{ http: Server; port: number; counters: () => ServerCounters; close: () => Promise<void> }> {
  const http = createServer((_req, res) => {
    res.writeHead(426).end();
  });
  const live = new Set<Socket>();
  const ended: ByteCounters = { bytesRead: 0, bytesWritten: 0 };
  http.on('connection', (socket: Socket) => {
    live.add(socket);
    socket.once('close', () => {
      live.delete(socket);
      ended.bytesRead += socket.bytesRead;
      ended.bytesWritten += socket.bytesWritten;
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen({ port: 0, host: '127.0.0.1' }, () => resolve());
  });
  const address: AddressInfo | string | null = http.address();
  if (typeof address !== 'object' || address === null) throw new Error('server has no TCP address');
  return {
    http,
    port: address.port,
    counters: () => {
      const cpu = process.cpuUsage();
      const c = { ...ended, cpuUs: cpu.user + cpu.system };
      for (const s of live) {
        c.bytesRead += s.bytesRead;
        c.bytesWritten += s.bytesWritten;
      }
      return c;
    },
    close: () =>
      new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      }),
  };
}
