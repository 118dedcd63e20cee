import { randomUUID } from 'node:crypto';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';
import { CALL_TOOL, ECHO_TOOL, STREAM_PROFILE } from '../profiles.js';
import { ASK_TOOL, QUESTION, STREAM_TOOL } from '../workload.js';
import { type BenchServer, countingServer } from './counting.js';

/**
 * The reference: a bare SDK McpServer with tools equivalent to the agent's, written the way the
 * SDK's README shows (zod input shapes). Chunks are progress notifications, awaited one by one
 * as the bridge does; the question is an elicitation tied to the call.
 */
export function bareMcpServer(): McpServer {
  const server = new McpServer({ name: 'bare-mcp', version: '1.0.0' });
  server.registerTool(
    ECHO_TOOL,
    { description: 'Returns its arguments', inputSchema: { text: z.string(), n: z.number().int().optional() } },
    (args) => ({ content: [{ type: 'text', text: JSON.stringify(args) }], structuredContent: args }),
  );
  // The SDK hands a tool its arguments only through a zod shape; `input` is left unchecked, as the agent's call tool has no schema.
  server.registerTool(
    CALL_TOOL,
    { description: 'Returns its arguments', inputSchema: { agent: z.string(), input: z.unknown() } },
    (args) => ({ content: [{ type: 'text', text: JSON.stringify(args) }], structuredContent: args }),
  );
  server.registerTool(
    STREAM_TOOL,
    { description: 'Streams `count` 20-byte tokens', inputSchema: { count: z.number().int().min(0) } },
    async ({ count }, extra) => {
      const progressToken = extra._meta?.progressToken;
      for (let i = 0; i < count; i++) {
        if (progressToken === undefined) continue;
        await extra.sendNotification({ method: 'notifications/progress', params: { progressToken, progress: i + 1, message: STREAM_PROFILE.token } });
      }
      return { content: [{ type: 'text', text: String(count) }], structuredContent: { count } };
    },
  );
  server.registerTool(ASK_TOOL, { description: 'Asks the caller a question mid-call (elicitation)' }, async (extra) => {
    const progressToken = extra._meta?.progressToken;
    const chunk = async (message: string, progress: number) => {
      if (progressToken !== undefined) await extra.sendNotification({ method: 'notifications/progress', params: { progressToken, progress, message } });
    };
    await chunk('thinking', 1);
    const started = performance.now();
    // The SDK's own elicitInput (as the bridge uses it): it also checks the answer against the schema.
    const reply = await server.server.elicitInput(
      { message: QUESTION, requestedSchema: { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] } },
      { relatedRequestId: extra.requestId },
    );
    const askMs = performance.now() - started;
    const answer = reply.action === 'accept' ? String(reply.content?.['answer']) : reply.action;
    await chunk(answer, 2);
    return { content: [{ type: 'text', text: answer }], structuredContent: { answer, askMs } };
  });
  return server;
}

/** The bare server over Streamable HTTP, stateful like the bridge: one SDK transport per session. */
export async function bareMcpHttpServer(): Promise<BenchServer> {
  const c = await countingServer();
  const sessions = new Map<string, { transport: StreamableHTTPServerTransport; server: McpServer }>();
  c.http.on('request', (req, res) => {
    const sid = req.headers['mcp-session-id'];
    const existing = typeof sid === 'string' ? sessions.get(sid) : undefined;
    if (existing) {
      void existing.transport.handleRequest(req, res);
      return;
    }
    const server = bareMcpServer();
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, { transport, server });
      },
    });
    transport.onclose = () => {
      if (transport.sessionId !== undefined) sessions.delete(transport.sessionId);
    };
    void server.connect(transport).then(() => transport.handleRequest(req, res));
  });
  return {
    url: `http://127.0.0.1:${c.port}/mcp`,
    counters: c.counters,
    close: async () => {
      await Promise.allSettled([...sessions.values()].map((s) => s.server.close()));
      sessions.clear();
      await c.close();
    },
  };
}
