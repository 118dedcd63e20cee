import { type Agent, ErrorCode, ProtocolError, type Principal, ToolRegistry, type ToolInfo } from '@agentsocket/core';
import { runTool, ulidFactory } from '@agentsocket/core/internal';
import { getSupportedElicitationModes } from '@modelcontextprotocol/sdk/client/index.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { Transport as McpTransport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  type CallToolResult,
  CallToolRequestSchema,
  type Implementation,
  ListToolsRequestSchema,
  type ServerNotification,
  type ServerRequest,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { toCallToolResult } from './content.js';
import { elicitationUnsupported, planElicitation } from './elicitation.js';
import { mcpErrorToAsp, requestErrorToMcp, toolErrorToMcp } from './error-map.js';
import { META } from './meta.js';
import { mcpToolContext } from './tool-context.js';

export interface AgentMcpServerOptions {
  /** Name and version told to MCP clients. @default the agent's name and version ('0.0.0' when it has none) */
  serverInfo?: Implementation;
  /** Instructions for the model, sent in the initialize result. @default none */
  instructions?: string;
  /** How long a question the agent asks its caller (elicitation) may wait for the user, ms. @default 600000 */
  elicitationTimeoutMs?: number;
}

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/**
 * One MCP session serving an Agent, unchanged. tools/list shows the agent's tools plus any the
 * session defined (ctx.defineTool); a change to either becomes notifications/tools/list_changed.
 * Connect it to any MCP SDK transport: stdio, Streamable HTTP, or AspMcpTransport.
 */
export class AgentMcpServer {
  /** The SDK server (low-level: the agent's tools carry JSON Schema, which McpServer cannot take). */
  readonly server: Server;
  /** This session's tools, layered over the agent's. */
  readonly registry: ToolRegistry;
  private readonly options: AgentMcpServerOptions;
  private readonly newId = ulidFactory();
  private readonly fallbackSessionId = this.newId();
  private requestCount = 0;
  private initialized = false;

  constructor(agent: Agent, options: AgentMcpServerOptions = {}) {
    this.options = options;
    this.registry = new ToolRegistry(agent.registry);
    this.server = new Server(options.serverInfo ?? { name: agent.name, version: agent.version ?? '0.0.0' }, {
      capabilities: { tools: { listChanged: true } },
      // A burst of TOOL_DEF changes in one tick becomes one notification.
      debouncedNotificationMethods: ['notifications/tools/list_changed'],
      ...(options.instructions === undefined ? {} : { instructions: options.instructions }),
    });
    this.server.oninitialized = () => {
      this.initialized = true;
    };
    this.server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: this.registry.list().map(toMcpTool) }));
    this.server.setRequestHandler(CallToolRequestSchema, (request, extra) =>
      this.callTool(request.params.name, request.params.arguments, extra),
    );
    this.registry.onChange(() => {
      if (this.initialized) this.server.sendToolListChanged().catch(() => {}); // closed meanwhile: nobody to tell
    });
  }

  connect(transport: McpTransport): Promise<void> {
    return this.server.connect(transport);
  }

  async close(): Promise<void> {
    this.registry.dispose();
    await this.server.close();
  }

  private async callTool(name: string, args: Record<string, unknown> | undefined, extra: Extra): Promise<CallToolResult> {
    const entry = this.registry.get(name);
    if (!entry) throw requestErrorToMcp(new ProtocolError(ErrorCode.TOOL_NOT_FOUND, `Tool ${name} not found`));
    const valid = await entry.schema.validate(args ?? {});
    // A tool execution error, not a protocol error (SEP-1303): the model reads it and can retry.
    if (!valid.ok) return toolErrorToMcp(new ProtocolError(ErrorCode.INVALID_ARGUMENTS, `invalid arguments for "${name}": ${valid.message}`));
    const token = extra._meta?.progressToken;
    let progress = 0;
    const ctx = mcpToolContext({
      tool: name,
      signal: extra.signal,
      messageId: this.newId(),
      requestId: ++this.requestCount,
      sessionId: extra.sessionId ?? this.fallbackSessionId,
      principal: principalOf(extra),
      traceparent: stringMeta(extra, 'traceparent'),
      registry: this.registry,
      newId: this.newId,
      ask: (tool, question, signal) => this.ask(tool, question, signal, extra),
    });
    try {
      const value = await runTool(entry.handler, valid.value, ctx, async (chunk) => {
        progress++;
        if (token === undefined) return; // the caller asked for no progress; the result still comes
        await extra.sendNotification({
          method: 'notifications/progress',
          params: { progressToken: token, progress, message: chunkText(chunk), _meta: { [META.chunk]: chunk } },
        });
      });
      return toCallToolResult(value);
    } catch (error) {
      return toolErrorToMcp(error);
    }
  }

  /** ctx.invokePeer from a handler: an elicitation request tied to the tools/call it came from. */
  private async ask(tool: string, args: unknown, signal: AbortSignal, extra: Extra): Promise<unknown> {
    const modes = getSupportedElicitationModes(this.server.getClientCapabilities()?.elicitation);
    if (!modes.supportsFormMode) throw elicitationUnsupported(tool);
    const plan = planElicitation(tool, args);
    try {
      const result = await this.server.elicitInput(plan.params, {
        relatedRequestId: extra.requestId,
        signal,
        timeout: this.options.elicitationTimeoutMs ?? 600_000,
      });
      return plan.answer(result);
    } catch (error) {
      throw mcpErrorToAsp(error);
    }
  }
}

export function createAgentMcpServer(agent: Agent, options?: AgentMcpServerOptions): AgentMcpServer {
  return new AgentMcpServer(agent, options);
}

function toMcpTool(info: ToolInfo): Tool {
  const schema = info.inputSchema ?? {};
  const tool: Tool = { name: info.name, inputSchema: { ...schema, type: 'object' } };
  if (info.description !== undefined) tool.description = info.description;
  if (info.title !== undefined) tool.title = info.title;
  if (info.annotations !== undefined) tool.annotations = info.annotations;
  // MCP takes object output schemas only; a result matching one goes out as structuredContent too.
  if (info.outputSchema?.['type'] === 'object') tool.outputSchema = { ...info.outputSchema, type: 'object' };
  return tool;
}

function chunkText(chunk: unknown): string {
  if (typeof chunk === 'string') return chunk;
  try {
    return JSON.stringify(chunk) ?? String(chunk);
  } catch {
    return String(chunk);
  }
}

function principalOf(extra: Extra): Principal | undefined {
  const auth = extra.authInfo;
  return auth ? { id: auth.clientId, claims: { scopes: auth.scopes } } : undefined;
}

function stringMeta(extra: Extra, key: string): string | undefined {
  const v: unknown = extra._meta?.[key];
  return typeof v === 'string' ? v : undefined;
}
