import { type StdioServerParameters, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport as McpTransport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { McpBridgeError } from './errors.js';

/** A local MCP server the bridge starts as a child process and talks to over its stdio. */
export interface StdioSource {
  command: string;
  /** @default [] */
  args?: string[];
  /** Environment of the child; the SDK adds a safe default set (PATH, HOME, …). @default the SDK's defaults */
  env?: Record<string, string>;
  /** @default the current directory */
  cwd?: string;
  /** What happens to the child's stderr. @default 'inherit' */
  stderr?: StdioServerParameters['stderr'];
}

/** A remote MCP server reached over Streamable HTTP. */
export interface HttpSource {
  url: string | URL;
  /** Sent with every request, e.g. an Authorization header. @default {} */
  headers?: Record<string, string>;
}

/** Any MCP SDK client transport already made (in-memory, AspMcpClientTransport, …). */
export interface TransportSource {
  transport: McpTransport;
}

export type McpServerSource = StdioSource | HttpSource | TransportSource;

export function sourceTransport(source: McpServerSource): McpTransport {
  if ('transport' in source) return source.transport;
  if ('command' in source) {
    return new StdioClientTransport({
      command: source.command,
      args: source.args ?? [],
      ...(source.env === undefined ? {} : { env: source.env }),
      ...(source.cwd === undefined ? {} : { cwd: source.cwd }),
      stderr: source.stderr ?? 'inherit',
    });
  }
  if ('url' in source) {
    const init = source.headers === undefined ? {} : { requestInit: { headers: source.headers } };
    return new StreamableHTTPClientTransport(new URL(source.url), init);
  }
  throw new McpBridgeError('INVALID_SOURCE', 'an MCP server source needs a command, a url or a transport');
}

export function describeSource(source: McpServerSource): string {
  if ('command' in source) return [source.command, ...(source.args ?? [])].join(' ');
  if ('url' in source) return String(source.url);
  return 'an MCP transport';
}
