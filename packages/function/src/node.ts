import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type FetchHandler, PLAIN_HANDLER, type PlainHandler } from './handler.js';

/**
 * Adapts a fetch handler to node:http. Each response chunk is written as it comes (nothing is
 * buffered), and a request the client drops mid-answer cancels the response body and aborts
 * `request.signal`, which the handler turns into ctx.signal.
 */
export function toNodeListener(handler: FetchHandler, options: { maxBodyBytes?: number } = {}): (req: IncomingMessage, res: ServerResponse) => void {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const plain = (handler as FetchHandler & { [PLAIN_HANDLER]?: PlainHandler })[PLAIN_HANDLER];
  if (plain) return plainListener(plain, maxBodyBytes);
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
    void (async () => {
      let response: Response;
      try {
        if (hasBody) {
          // Read here, as one buffer (a web stream over the socket costs more than small calls);
          // a body past the limit is refused before it is all read.
          const body = await readBody(req, maxBodyBytes);
          if (body === undefined) {
            res.writeHead(413, { 'content-type': 'application/json', connection: 'close' });
            res.end(JSON.stringify({ error: { code: 413, message: `body exceeds ${maxBodyBytes} bytes` } }));
            return;
          }
          init.body = body;
        }
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

/**
 * A handler made by functionHandler, served without web Request/Response objects: the same
 * answers, each frame written to the socket as it comes.
 */
function plainListener(plain: PlainHandler, maxBodyBytes: number): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void (async () => {
      try {
        const body = await readBody(req, maxBodyBytes);
        if (body === undefined) {
          res.writeHead(413, { 'content-type': 'application/json', connection: 'close' });
          res.end(JSON.stringify({ error: { code: 413, message: `body exceeds ${maxBodyBytes} bytes` } }));
          return;
        }
        const url = req.url ?? '/';
        const query = url.indexOf('?');
        const answer = await plain({
          method: req.method ?? 'GET',
          pathname: query < 0 ? url : url.slice(0, query),
          header: (name) => {
            const value = req.headers[name];
            return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
          },
          body,
        });
        if (!('start' in answer)) {
          if (answer.status === 204) {
            res.writeHead(204, answer.headers).end();
            return;
          }
          res.writeHead(answer.status, { ...answer.headers, 'content-type': 'application/json' });
          res.end(JSON.stringify(answer.json));
          return;
        }
        res.writeHead(200, answer.headers);
        // Frames are written as they come; node:http buffers what the socket has not taken yet.
        const cancel = answer.start({ write: (bytes) => res.write(bytes), close: () => res.end() });
        res.on('close', () => {
          if (!res.writableFinished) cancel();
        });
      } catch (error) {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 500, message: error instanceof Error ? error.message : String(error) } }));
      }
    })();
  };
}

/** Largest request body the node:http adapter reads, bytes (HTTP 413 above), as functionHandler's default. */
const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

/** The whole body, or undefined once it passes `limit` (the rest is not read). */
function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array | undefined> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > limit) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > limit) {
        req.removeAllListeners('data');
        req.pause();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size)));
    req.once('error', reject);
  });
}

export interface NodeFunctionServer {
  readonly server: Server;
  /** `http://host:port/`, once listening. */
  readonly url: string;
  close(): Promise<void>;
}

/** Serves a fetch handler on a node:http server (keep-alive on, as the relay expects). */
export async function serveFunction(
  handler: FetchHandler,
  options: { port?: number; host?: string; /** Largest request body read, bytes (HTTP 413 above). @default 16 MiB */ maxBodyBytes?: number } = {},
): Promise<NodeFunctionServer> {
  const server = createServer({ keepAliveTimeout: 65_000 }, toNodeListener(handler, options.maxBodyBytes === undefined ? {} : { maxBodyBytes: options.maxBodyBytes }));
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
