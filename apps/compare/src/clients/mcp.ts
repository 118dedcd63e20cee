import { ANSWER, ASK_TOOL, checkCount, checkReply, readAskResult, type Session, STREAM_TOOL } from '@agentsocket/bench-kit';
import { orderedTransport } from '@agentsocket/mcp';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';

/**
 * The official SDK Client over any MCP client transport, as an MCP host drives a server: chunks
 * are progress notifications (one per token), the question an elicitation it accepts with the answer.
 * orderedTransport keeps the SDK from dropping progress that shares a read with its response.
 */
export async function mcpSession(transport: Transport): Promise<Session> {
  const client = new Client({ name: 'agentsocket-compare', version: '1.0.0' }, { capabilities: { elicitation: {} } });
  client.setRequestHandler(ElicitRequestSchema, () => ({ action: 'accept', content: { answer: ANSWER } }));
  await client.connect(orderedTransport(transport));
  return {
    call: async (profile) => {
      const r = await client.callTool({ name: profile.tool, arguments: { ...profile.args } });
      checkReply(profile, r.structuredContent);
    },
    stream: async (count, onChunk) => {
      let chunks = 0;
      await client.callTool({ name: STREAM_TOOL, arguments: { count } }, undefined, {
        onprogress: () => {
          chunks++;
          onChunk();
        },
      });
      checkCount(STREAM_TOOL, chunks, count);
      return chunks;
    },
    ask: async () => {
      let chunks = 0;
      const r = await client.callTool({ name: ASK_TOOL, arguments: {} }, undefined, {
        onprogress: () => {
          chunks++;
        },
      });
      const { askMs } = readAskResult(r.structuredContent);
      checkCount(ASK_TOOL, chunks, 2);
      return askMs;
    },
    close: () => client.close(),
  };
}
