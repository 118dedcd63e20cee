import { request } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { type McpHttpServer, type McpHttpServerOptions, mcpHttpServer } from '../src/index.js';
import { createDemoAgent } from './fixtures/demo-agent.js';

const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});

interface Reply {
  status: number;
  session: string | undefined;
  body: string;
}

/** A raw initialize POST with whatever Host and Origin we choose (fetch cannot forge Host). */
function initialize(url: string, headers: { host?: string; origin?: string } = {}): Promise<Reply> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      target,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...(headers.host === undefined ? {} : { host: headers.host }),
          ...(headers.origin === undefined ? {} : { origin: headers.origin }),
        },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => {
          const sid = res.headers['mcp-session-id'];
          resolve({ status: res.statusCode ?? 0, session: typeof sid === 'string' ? sid : undefined, body });
        });
      },
    );
    req.on('error', reject);
    req.end(INITIALIZE);
  });
}

function expectForbidden(reply: Reply, text: string): void {
  expect(reply.status).toBe(403);
  expect(reply.session).toBeUndefined();
  const body: unknown = JSON.parse(reply.body);
  expect(body).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32000 } });
  expect(JSON.stringify(body)).toContain(text);
}

describe('the MCP HTTP server checks Host and Origin (DNS rebinding)', () => {
  let http: McpHttpServer | undefined;
  const serve = async (options: McpHttpServerOptions = {}) => {
    http = await mcpHttpServer(createDemoAgent(), options);
    return http;
  };
  afterEach(async () => {
    await http?.close();
    http = undefined;
  });

  it('refuses a foreign Origin or Host with 403, a JSON-RPC error and no session', async () => {
    const { url, handler } = await serve();
    const port = new URL(url).port;
    expectForbidden(await initialize(url, { origin: 'http://evil.example' }), 'Origin \\"http://evil.example\\" is not allowed');
    expectForbidden(await initialize(url, { host: `evil.example:${port}` }), 'Host \\"evil.example\\" is not allowed');
    expectForbidden(await initialize(url, { host: 'evil.example', origin: `http://127.0.0.1:${port}` }), 'Host');
    expectForbidden(await initialize(url, { origin: 'null' }), 'Origin \\"null\\"');
    expectForbidden(await initialize(url, { host: 'localhost.evil.example' }), 'Host');
    expect(handler.sessionCount).toBe(0);
  });

  it('lets loopback hosts and origins in by default, and clients that send no Origin', async () => {
    const { url, handler } = await serve();
    const port = new URL(url).port;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'LOCALHOST', `[::1]:${port}`]) {
      expect((await initialize(url, { host })).status).toBe(200);
    }
    for (const origin of [`http://localhost:${port}`, 'http://127.0.0.1:6274', 'https://[::1]']) {
      expect((await initialize(url, { origin })).status).toBe(200);
    }
    expect(handler.sessionCount).toBe(7);
  });

  it('lets in the address a request arrived on (127.0.0.2 here), not other names for it', async () => {
    const { url } = await serve({ host: '127.0.0.2' });
    const port = new URL(url).port;
    expect((await initialize(url)).status).toBe(200);
    expect((await initialize(url, { origin: `http://127.0.0.2:${port}` })).status).toBe(200);
    expectForbidden(await initialize(url, { host: `127.0.0.3:${port}` }), 'Host \\"127.0.0.3\\"');
  });

  it('takes allow-lists instead of the defaults', async () => {
    const { url } = await serve({ allowedHosts: ['mcp.example.com'], allowedOrigins: ['https://app.example.com'] });
    expect((await initialize(url, { host: 'MCP.example.com:443', origin: 'https://app.example.com' })).status).toBe(200);
    expect((await initialize(url, { host: 'mcp.example.com' })).status).toBe(200);
    expectForbidden(await initialize(url), 'Host \\"127.0.0.1\\"'); // the lists replace the defaults
    expectForbidden(await initialize(url, { host: 'mcp.example.com', origin: 'http://app.example.com' }), 'Origin');
    expectForbidden(await initialize(url, { host: 'mcp.example.com', origin: 'https://app.example.com:8443' }), 'Origin');
  });

  it("'any' turns a check off", async () => {
    const { url } = await serve({ allowedHosts: 'any', allowedOrigins: 'any' });
    expect((await initialize(url, { host: 'evil.example', origin: 'http://evil.example' })).status).toBe(200);
  });

  it('guards requests of an open session too, and the SDK client works unchanged', async () => {
    const { url } = await serve();
    const client = new Client({ name: 'sdk', version: '1' });
    const transport = new StreamableHTTPClientTransport(new URL(url));
    await client.connect(transport);
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    const forged = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': transport.sessionId ?? '',
        'mcp-protocol-version': transport.protocolVersion ?? LATEST_PROTOCOL_VERSION,
        origin: 'http://evil.example',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    });
    expect(forged.status).toBe(403);
    expect(await forged.json()).toMatchObject({ error: { code: -32000 } });
    await client.close();
  });
});
