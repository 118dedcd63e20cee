import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import type { FetchHandler } from './handler.js';

/**
 * Adapts a fetch handler to node:http. Each response chunk is written as it comes (nothing is
 * buffered), and a request the client drops mid-answer cancels the response body and aborts
 * `request.signal`, which the handler turns into ctx.signal.
 */
export function toNodeListener(handler: FetchHandler): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    const url = `http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`;
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
    }
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    const init: RequestInit & { duplex?: 'half' } = { method: req.method ?? 'GET', headers, signal: abort.signal };
    if (hasBody) {
      init.body = Readable.toWeb(req) as ReadableStream<Uint8Array>;
      init.duplex = 'half';
    }
    void (async () => {
      let response: Response;
      try {
        response = await handler(new Request(url, init));
      } catch (error) {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 500, message: error instanceof Error ? error.message : String(error) } }));
        return;
      }
      const outHeaders: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        outHeaders[name] = value;
      });
      res.writeHead(response.status, outHeaders);
      if (!response.body) {
        res.end();
        return;
      }
      const reader = response.body.getReader();
      abort.signal.addEventListener('abort', () => void reader.cancel().catch(() => {}), { once: true });
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          if (!res.write(value)) await new Promise<void>((resolve) => res.once('drain', resolve).once('close', resolve));
          if (abort.signal.aborted) break;
        }
        res.end();
      } catch {
        res.destroy();
      }
    })();
  };
}

export interface NodeFunctionServer {
  readonly server: Server;
  /** `http://host:port/`, once listening. */
  readonly url: string;
  close(): Promise<void>;
}

/** Serves a fetch handler on a node:http server (keep-alive on, as the relay expects). */
export async function serveFunction(handler: FetchHandler, options: { port?: number; host?: string } = {}): Promise<NodeFunctionServer> {
  const server = createServer({ keepAliveTimeout: 65_000 }, toNodeListener(handler));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    url: `http://${host}:${address.port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
