import type { Agent, Call, ToolContext } from '@agentsocket/core';
import { AspMcpTransport } from './asp-transport.js';
import { MCP_RPC_TOOL } from './meta.js';

/** The agent end of one MCP-over-ASP session; made by serveMcpOverAsp, handed to its onsession. */
export class AspMcpServerTransport extends AspMcpTransport {
  private readonly ctx: ToolContext;
  private readonly reply: string;
  private readonly abort = new AbortController();
  private upstream: Call | undefined;

  constructor(ctx: ToolContext, reply: string) {
    super();
    this.ctx = ctx;
    this.reply = reply;
    this.sessionId = ctx.messageId;
  }

  async start(): Promise<void> {
    const upstream = this.ctx.invokePeer(this.reply, {}, { signal: this.abort.signal });
    this.upstream = upstream;
    upstream.result.catch(() => {}); // its end is seen by pump()
    void this.pump(upstream);
  }

  /** What the agent's `mcp.rpc` handler streams back: server→client messages until closed. */
  stream(): AsyncIterable<string> {
    return this.outgoing;
  }

  protected release(): void {
    if (this.upstream && !this.upstream.isSettled) this.abort.abort();
  }
}

export interface ServeMcpOverAspOptions {
  /** Name of the tool that accepts MCP sessions. @default 'mcp.rpc' */
  tool?: string;
}

/** Gets each new MCP session's transport; typically `(t) => new McpServer(...).connect(t)`. */
export type McpSessionHandler = (transport: AspMcpServerTransport, ctx: ToolContext) => void | Promise<void>;

/**
 * Lets MCP clients reach an MCP server over this agent's Agent Socket sessions: adds the `mcp.rpc`
 * tool, which makes a transport for each session and passes it to `onsession`. Returns a function
 * that removes the tool again.
 */
export function serveMcpOverAsp(agent: Agent, onsession: McpSessionHandler, options: ServeMcpOverAspOptions = {}): () => void {
  const name = options.tool ?? MCP_RPC_TOOL;
  agent.addTool(name, {
    description: 'MCP JSON-RPC over Agent Socket: STREAM chunks carry server→client messages',
    input: { type: 'object', properties: { reply: { type: 'string', minLength: 1 } }, required: ['reply'] },
    async *handler(args, ctx) {
      const reply = args['reply'];
      if (typeof reply !== 'string') return null; // the schema already required it
      const transport = new AspMcpServerTransport(ctx, reply);
      ctx.signal.addEventListener('abort', () => void transport.close(), { once: true });
      await onsession(transport, ctx);
      yield* transport.stream();
      return null;
    },
  });
  return () => {
    agent.removeTool(name);
  };
}
