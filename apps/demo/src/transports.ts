import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { type Agent, AgentServer, memoryConnector } from '@agentsocket/core';
import { functionHandler } from '@agentsocket/function';
import { serveFunction } from '@agentsocket/function/node';
import { mcpHttpServer, orderedTransport } from '@agentsocket/mcp';
import { Relay } from '@agentsocket/relay';
import { socketIoConnector } from '@agentsocket/socketio';
import { socketIoServer } from '@agentsocket/socketio/server';
import { wsConnector, wsServer } from '@agentsocket/ws';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { type Check, drive } from './drive.js';
import { driveMcp } from './drive-mcp.js';

type Out = { write(s: string): unknown };

export interface Served {
  /** Where it listens, for the narration. */
  where: string;
  /** Drives the agent the way a user would and returns the checks. */
  run(out: Out): Promise<Check[]>;
  close(): Promise<void>;
}

type Serve = (agent: Agent, options: { tokenDelayMs: number }) => Promise<Served>;

const mcpClient = () => new Client({ name: 'agentsocket-demo', version: '1.0.0' }, { capabilities: { elicitation: {} } });

/** Every transport the demo runs the same agent over. */
export const transports: Record<string, Serve> = {
  ws: async (agent) => {
    const ws = await wsServer({ agentServer: new AgentServer(agent), port: 0, host: '127.0.0.1' });
    const url = ws.url ?? '';
    return { where: url, run: (out) => drive({ connect: wsConnector({ url }), out }), close: () => ws.close() };
  },
  socketio: async (agent) => {
    const io = await socketIoServer({ agentServer: new AgentServer(agent), port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${io.port ?? 0}`;
    return {
      where: `${url} (Socket.IO namespace ${io.namespace.name})`,
      run: (out) => drive({ connect: socketIoConnector({ url, namespace: io.namespace.name }), out }),
      close: () => io.close(),
    };
  },
  relay: async (agent) => {
    // Relay mode: the agent runs as a function (a fetch handler, here on node:http); the client
    // talks ASP over ws to the relay, which runs each call on the function over HTTP.
    const secret = randomBytes(16).toString('hex');
    const fn = await serveFunction(functionHandler(agent, { secret }));
    const relay = await Relay.start({ function: { url: fn.url, secret } });
    const ws = await wsServer({ agentServer: relay.server, port: 0, host: '127.0.0.1' });
    const url = ws.url ?? '';
    return {
      where: `${url} (relay) → function at ${fn.url}`,
      run: (out) => drive({ connect: wsConnector({ url }), out }),
      close: async () => {
        relay.server.close();
        await ws.close();
        await relay.close();
        await fn.close();
      },
    };
  },
  memory: async (agent) => {
    const server = new AgentServer(agent);
    return {
      where: 'in-process memory transport',
      run: (out) => drive({ connect: memoryConnector(server), out }),
      close: async () => server.close(),
    };
  },
  'mcp-http': async (agent) => {
    const http = await mcpHttpServer(agent);
    const client = mcpClient();
    return {
      where: `${http.url} (MCP Streamable HTTP through the bridge)`,
      run: async (out) => {
        await client.connect(orderedTransport(new StreamableHTTPClientTransport(new URL(http.url))));
        return driveMcp(client, out);
      },
      close: async () => {
        await client.close();
        await http.close();
      },
    };
  },
  'mcp-stdio': async (_agent, options) => {
    // The agent runs in a child process speaking MCP on stdio, as an MCP host would spawn it.
    const script = fileURLToPath(new URL('./serve-mcp-stdio.ts', import.meta.url));
    const client = mcpClient();
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: ['--conditions=@agentsocket/source', '--import', 'tsx', script],
      env: { ...stringEnv(), TOKEN_DELAY_MS: String(options.tokenDelayMs) },
      stderr: 'inherit',
    });
    return {
      where: 'a child process speaking MCP over stdio (through the bridge)',
      run: async (out) => {
        await client.connect(orderedTransport(transport));
        return driveMcp(client, out);
      },
      close: () => client.close(),
    };
  },
};

function stringEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => typeof e[1] === 'string'));
}
