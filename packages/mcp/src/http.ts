import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Agent } from '@agentsocket/core';
import { StreamableHTTPServerTransport, type StreamableHTTPServerTransportOptions } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { AgentMcpServer, type AgentMcpServerOptions } from './agent-mcp-server.js';
import { McpBridgeError } from './errors.js';
import { type RequestGuardOptions, requestGuard } from './request-guard.js';

/**
 * `allowedHosts` and `allowedOrigins` guard against DNS rebinding: a request whose Host or Origin
 * is not allowed gets 403 and a JSON-RPC error body, and never reaches MCP.
 */
export interface McpHttpHandlerOptions extends AgentMcpServerOptions, RequestGuardOptions {
  /**
   * Passed to each session's StreamableHTTPServerTransport (JSON responses instead of SSE, an
   * event store for resumability). Session ids are the handler's; Host and Origin are checked by
   * `allowedHosts`/`allowedOrigins`, not by the SDK's deprecated options.
   * @default {}
   */
  transport?: Omit<StreamableHTTPServerTransportOptions, 'sessionIdGenerator' | 'onsessioninitialized' | 'onsessionclosed'>;
}

/** A Node request handler serving an agent over MCP Streamable HTTP, one MCP session per client. */
export interface McpHttpHandler {
  (req: IncomingMessage, res: ServerResponse, parsedBody?: unknown): Promise<void>;
  /** MCP sessions open now. */
  readonly sessionCount: number;
  /** Ends every session. */
  close(): Promise<void>;
}

interface Session {
  readonly transport: StreamableHTTPServerTransport;
  readonly mcp: AgentMcpServer;
}

/**
 * Streamable HTTP for an agent, to mount in any Node HTTP server or framework (express:
 * `app.all('/mcp', (req, res) => handler(req, res, req.body))`). A request without an
 * Mcp-Session-Id header starts a session (it must be initialize); the rest find theirs by id.
 * Host and Origin are checked first (see RequestGuardOptions; loopback names by default).
 */
export function createMcpHttpHandler(agent: Agent, options: McpHttpHandlerOptions = {}): McpHttpHandler {
  const sessions = new Map<string, Session>();
  const guard = requestGuard(options);
  const handle = async (req: IncomingMessage, res: ServerResponse, parsedBody?: unknown): Promise<void> => {
    const verdict = guard(req);
    if (!verdict.ok) {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message: verdict.message }, id: null }));
      return;
    }
    const sid = req.headers['mcp-session-id'];
    if (typeof sid === 'string') {
      const session = sessions.get(sid);
      if (session) return session.transport.handleRequest(req, res, parsedBody);
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null }));
      return;
    }
    const mcp = new AgentMcpServer(agent, options);
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      ...options.transport,
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, { transport, mcp });
      },
    });
    transport.onclose = () => {
      if (transport.sessionId !== undefined) sessions.delete(transport.sessionId);
      void mcp.close();
    };
    await mcp.connect(transport);
    await transport.handleRequest(req, res, parsedBody);
    // A first request that was not initialize got its error; nothing to keep.
    if (transport.sessionId === undefined) await mcp.close();
  };
  const close = async (): Promise<void> => {
    const all = [...sessions.values()];
    sessions.clear();
    await Promise.all(all.map((s) => s.mcp.close()));
  };
  const handler = Object.assign(handle, { close, sessionCount: 0 });
  // A getter given to Object.assign would be read once and copied as a value.
  Object.defineProperty(handler, 'sessionCount', { get: () => sessions.size, enumerable: true });
  return handler;
}


export interface McpHttpServerOptions extends McpHttpHandlerOptions {
  /** Serve on this existing server instead of creating one (its other routes keep working). */
  server?: HttpServer;
  /** @default 0 (any free port) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** URL path of the MCP endpoint. @default '/mcp' */
  path?: string;
}

export interface McpHttpServer {
  /** The endpoint, e.g. http://127.0.0.1:41234/mcp. */
  readonly url: string;
  readonly server: HttpServer;
  readonly handler: McpHttpHandler;
  /** Ends every session, then closes the server if this function created it. */
  close(): Promise<void>;
}

/** Listens for MCP Streamable HTTP and serves the agent at `path`. */
export async function mcpHttpServer(agent: Agent, options: McpHttpServerOptions = {}): Promise<McpHttpServer> {
  const path = options.path ?? '/mcp';
  const handler = createMcpHttpHandler(agent, options);
  const own = options.server === undefined;
  const server = options.server ?? createServer();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (new URL(req.url ?? '/', 'http://localhost').pathname !== path) {
      if (own) res.writeHead(404).end();
      return;
    }
    handler(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(error instanceof Error ? error.message : String(error));
    });
  });
  if (!server.listening) {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  }
  const address = server.address();
  if (address === null || typeof address === 'string') throw new McpBridgeError('INVALID_OPTIONS', 'mcpHttpServer needs a TCP server');
  const url = `http://${hostForUrl(address)}:${address.port}${path}`;
  return {
    url,
    server,
    handler,
    async close() {
      await handler.close();
      if (!own) return;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function hostForUrl(address: AddressInfo): string {
  return address.family === 'IPv6' ? `[${address.address}]` : address.address;
}
