import type { AgentClient, Call } from '@agentsocket/core';
import { AspMcpTransport } from './asp-transport.js';
import { MCP_RPC_TOOL } from './meta.js';

export interface AspMcpClientTransportOptions {
  /** The agent's tool that accepts MCP sessions (see serveMcpOverAsp). @default 'mcp.rpc' */
  tool?: string;
}

/**
 * The client end of MCP over Agent Socket: give it to an SDK Client (`client.connect(transport)`).
 * start() serves a one-off reply tool on the AgentClient (the agent pulls client→server messages
 * from it) and invokes the agent's `mcp.rpc`, whose STREAM carries server→client messages.
 */
export class AspMcpClientTransport extends AspMcpTransport {
  private readonly agentClient: AgentClient;
  private readonly tool: string;
  private readonly abort = new AbortController();
  private call: Call | undefined;

  constructor(agentClient: AgentClient, options: AspMcpClientTransportOptions = {}) {
    super();
    this.agentClient = agentClient;
    this.tool = options.tool ?? MCP_RPC_TOOL;
  }

  async start(): Promise<void> {
    const reply = `${this.tool}.reply.${crypto.randomUUID()}`;
    const outgoing = this.outgoing;
    const finish = () => this.finish();
    // AgentClient cannot remove tools; a finished reply tool just returns at once.
    this.agentClient.addTool(reply, {
      description: 'Client→server MCP messages for one MCP-over-ASP session',
      async *handler(_args, ctx) {
        ctx.signal.addEventListener('abort', finish, { once: true });
        yield* outgoing;
        return null;
      },
    });
    const call = this.agentClient.invoke(this.tool, { reply }, { signal: this.abort.signal });
    this.call = call;
    call.result.catch((error: unknown) => {
      if (!this.isClosed) this.onerror?.(error instanceof Error ? error : new Error(String(error)));
    });
    void this.pump(call);
  }

  protected release(): void {
    if (this.call && !this.call.isSettled) this.abort.abort();
  }
}
