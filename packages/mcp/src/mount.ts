import { Agent, Emitter, ErrorCode, ProtocolError, type ToolContext } from '@agentsocket/core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  type CallToolResult,
  type Implementation,
  type Progress,
  type Tool,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { fromCallToolResult, type ResultShape } from './content.js';
import { mcpErrorToAsp, toolErrorToAsp } from './error-map.js';
import { McpBridgeError } from './errors.js';
import { META } from './meta.js';
import { announcedSchema, mirroredSchema } from './mirrored-schema.js';
import { type McpServerSource, sourceTransport } from './mount-source.js';
import { orderedTransport } from './ordered-transport.js';
import { AsyncQueue } from './queue.js';

export interface MountOptions {
  /** The agent's name. @default the MCP server's name from initialize */
  name?: string;
  /** What a tool result becomes: `value` (structuredContent, the lone text, or the whole result) or `result` (the CallToolResult as is). @default 'value' */
  result?: ResultShape;
  /** Longest wait for a call with no progress in between, ms (progress restarts the clock). @default 60000 */
  requestTimeoutMs?: number;
  /** Who the bridge says it is in initialize. @default { name: 'agentsocket-mcp-bridge', version: '0.1.0' } */
  clientInfo?: Implementation;
}

type MountEvents = {
  /** The mirrored tool list changed (after notifications/tools/list_changed, or refresh()). */
  tools: [added: string[], removed: string[]];
  /** A tool could not be mirrored, or a re-list failed. */
  error: [Error];
  /** The MCP connection ended (close(), or the server went away). */
  close: [];
};

/**
 * An MCP server mounted as an Agent: its tools are the agent's tools (names, descriptions, JSON
 * Schema), calls go to the server, progress comes back as STREAM chunks, aborting the ASP call
 * cancels the MCP request, and list_changed becomes TOOL_DEF. Serve `agent` with any AgentServer.
 */
export class MountedMcpServer extends Emitter<MountEvents> {
  readonly agent: Agent;
  readonly client: Client;
  private readonly options: MountOptions;
  private readonly mirrored = new Map<string, string>(); // name → what was announced, to spot changes
  private refreshing: Promise<void> = Promise.resolve();
  private closed = false;

  /** Use mountMcpServer(); the client must be connected. */
  constructor(client: Client, options: MountOptions = {}) {
    super();
    this.client = client;
    this.options = options;
    const server = client.getServerVersion();
    this.agent = new Agent({ name: options.name ?? server?.name ?? 'mcp', ...(server?.version ? { version: server.version } : {}) });
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      void this.refresh().catch((error: unknown) => this.emit('error', asError(error)));
    });
    const previous = client.onclose;
    client.onclose = () => {
      previous?.();
      this.closed = true;
      this.emit('close');
    };
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Lists the server's tools again (all pages) and brings the agent's tools in line. Serialized. */
  refresh(): Promise<void> {
    const run = this.refreshing.then(() => this.sync());
    this.refreshing = run.catch(() => {});
    return run;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.client.close();
  }

  private async sync(): Promise<void> {
    if (this.closed) return;
    const tools: Tool[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.client.listTools(cursor === undefined ? {} : { cursor });
      tools.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    const next = new Map(tools.map((t) => [t.name, t]));
    const removed: string[] = [];
    const added: string[] = [];
    for (const [name, shape] of this.mirrored) {
      const tool = next.get(name);
      if (tool && describe(tool) === shape) continue;
      this.agent.removeTool(name);
      this.mirrored.delete(name);
      if (!tool) removed.push(name);
    }
    for (const tool of tools) {
      if (this.mirrored.has(tool.name)) continue;
      try {
        this.agent.addTool(tool.name, {
          ...(tool.description === undefined ? {} : { description: tool.description }),
          ...(tool.title === undefined ? {} : { title: tool.title }),
          ...(tool.annotations === undefined ? {} : { annotations: tool.annotations }),
          ...(tool.outputSchema === undefined ? {} : { output: announcedSchema(tool.outputSchema) }),
          input: mirroredSchema(tool.inputSchema),
          handler: (args, ctx) => this.call(tool.name, args, ctx),
        });
        this.mirrored.set(tool.name, describe(tool));
        added.push(tool.name);
      } catch (error) {
        this.emit('error', asError(error)); // e.g. a name ASP cannot carry
      }
    }
    if (added.length > 0 || removed.length > 0) this.emit('tools', added, removed);
  }

  private async *call(name: string, args: Record<string, unknown>, ctx: ToolContext): AsyncGenerator<unknown, unknown> {
    if (this.closed) throw mcpErrorToAsp(new McpBridgeError('MOUNT_CLOSED', `the MCP server behind "${name}" is gone`));
    const chunks = new AsyncQueue<unknown>();
    // W3C trace context rides in params._meta (the MCP convention, SEP-414), so the trace goes on.
    const params = ctx.traceparent === undefined ? { name, arguments: args } : { name, arguments: args, _meta: { traceparent: ctx.traceparent } };
    const pending = this.client.callTool(params, undefined, {
      signal: ctx.signal,
      onprogress: (p) => chunks.push(chunkOf(p)),
      resetTimeoutOnProgress: true,
      timeout: this.options.requestTimeoutMs ?? 60_000,
    });
    pending.then(
      () => chunks.end(),
      () => chunks.end(),
    );
    yield* chunks;
    let raw: unknown;
    try {
      raw = await pending;
    } catch (error) {
      throw mcpErrorToAsp(error);
    }
    if (!isCurrentResult(raw)) throw new ProtocolError(ErrorCode.HANDLER_ERROR, `"${name}" answered in the 2024 toolResult form`);
    const result = raw;
    if (result.isError) throw toolErrorToAsp(result);
    return fromCallToolResult(result, this.options.result ?? 'value');
  }
}

/**
 * Connects to an MCP server (a command to spawn, a Streamable HTTP URL, or any SDK transport) and
 * mounts it as an Agent. The protocol version is negotiated by the SDK.
 */
export async function mountMcpServer(source: McpServerSource, options: MountOptions = {}): Promise<MountedMcpServer> {
  const client = new Client(options.clientInfo ?? { name: 'agentsocket-mcp-bridge', version: '0.1.0' });
  await client.connect(orderedTransport(sourceTransport(source)));
  const mounted = new MountedMcpServer(client, options);
  try {
    await mounted.refresh();
  } catch (error) {
    await client.close();
    throw error;
  }
  return mounted;
}

/** A progress notification as a STREAM chunk: what an Agent Socket bridge put there, else the progress itself. */
function chunkOf(progress: Progress & { _meta?: Record<string, unknown> }): unknown {
  const meta = progress._meta;
  if (meta && META.chunk in meta) return meta[META.chunk];
  const chunk: Record<string, unknown> = { progress: progress.progress };
  if (progress.total !== undefined) chunk['total'] = progress.total;
  if (progress.message !== undefined) chunk['message'] = progress.message;
  return chunk;
}

/** The SDK already parsed the result with CallToolResultSchema; this only tells it from the legacy `toolResult` form. */
function isCurrentResult(value: unknown): value is CallToolResult {
  return typeof value === 'object' && value !== null && 'content' in value && Array.isArray(value.content);
}

function describe(tool: Tool): string {
  return JSON.stringify([tool.description ?? null, tool.inputSchema, tool.title ?? null, tool.annotations ?? null, tool.outputSchema ?? null]);
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
