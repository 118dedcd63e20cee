import { AgentServer, memoryConnector } from '@agentsocket/core';
import {
  aspSession,
  benchAgent,
  entryOf,
  msgpackRpcVariant,
  plainSocketIoVariant,
  rawWsVariant,
  remote,
  type Running,
  type Session,
  type Variant,
  wsVariant,
} from '@agentsocket/bench-kit';
import { socketIoConnector } from '@agentsocket/socketio';
import { wsConnector } from '@agentsocket/ws';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { type ByteCounter, countFrames } from './clients/count-frames.js';
import { countPipe } from './clients/count-pipe.js';
import { mcpSession } from './clients/mcp.js';
import { pushpinSession } from './clients/pushpin.js';
import { hasPushpin } from './servers/pushpin.js';

/** This app's child entry: the kit's servers and the ones only the comparison runs. */
const CHILD_ENTRY = entryOf(import.meta.url, './servers/child');
const entry = (relative: string) => entryOf(import.meta.url, relative);

const CHILD = 'a child process of its own';
const AT_SOCKET = 'server TCP sockets (bytesRead + bytesWritten)';
const AT_PIPE = 'stdio pipes (JSON-RPC lines as the SDK writes them)';
const ONE_PER_PROCESS = 'stdio serves one client per process';
/** An SDK Client costs ~8 ms of CPU to create and initialize here; 2,000 of them would take half a minute per variant. */
export const MCP_MEMORY_SESSIONS = 200;


/** A variant spoken over stdio: every connection spawns its server, as MCP hosts do. */
function stdio(script: string): () => Promise<Running> {
  return async () => {
    const counter: ByteCounter = { bytes: 0 };
    const open = new Set<Session>();
    return {
      connect: async () => {
        const transport = new StdioClientTransport({
          command: process.execPath,
          // The same Node flags as this process (tsx, source conditions), so the child runs the TS sources.
          args: [...process.execArgv, entry(script)],
          stderr: 'inherit',
        });
        const session = await mcpSession(countPipe(transport, counter));
        open.add(session);
        return {
          ...session,
          close: () => {
            open.delete(session);
            return session.close();
          },
        };
      },
      counters: async () => ({ bytes: counter.bytes, cpuUs: Number.NaN }),
      stop: async () => {
        await Promise.allSettled([...open].map((s) => s.close()));
      },
    };
  };
}

function socketIoUrl(url: string): { origin: string; namespace: string } {
  const u = new URL(url);
  return { origin: u.origin, namespace: u.pathname };
}

/**
 * Relay mode's baseline: Pushpin (WebSocket-over-HTTP) in front of the same function, through a
 * backend that calls it as the relay does. Left out, with a note, where pushpin is not installed.
 */
export function pushpinVariant(): Variant {
  return {
    id: 'pushpin',
    label: 'Pushpin WebSocket-over-HTTP → backend → the same function (baseline for relay)',
    short: 'Pushpin → function',
    role: 'reference',
    server: 'a child process of its own: the backend and the function (node:http), with Pushpin’s processes beside it',
    bytesAt: 'the backend’s HTTP sockets (WebSocket-over-HTTP events from Pushpin)',
    cannot: {
      ask: 'Pushpin’s backend answers each batch of events over HTTP: no request to the client inside a call',
      memory: 'Pushpin’s own processes hold the sockets and are not measured; the backend keeps nothing per connection (its heap per connection is noise around 0)',
    },
    start: remote(CHILD_ENTRY, 'pushpin', pushpinSession),
  };
}

if (!hasPushpin()) console.warn('pushpin is not installed (apt-get install pushpin): the Pushpin baseline is left out');

/** Every variant, in the order tables show them: the floor, ours, then the references. */
export const variants: readonly Variant[] = [
  {
    id: 'memory',
    label: 'Agent Socket, in-memory',
    short: 'ASP in-memory',
    role: 'floor',
    server: 'this process (no network)',
    bytesAt: 'ASP frames (no socket)',
    cannot: { memory: 'no server process to measure' },
    start: async () => {
      const agentServer = new AgentServer(benchAgent());
      const counter: ByteCounter = { bytes: 0 };
      const connect = countFrames(memoryConnector(agentServer), counter);
      return { connect: () => aspSession(connect), counters: async () => ({ bytes: counter.bytes, cpuUs: Number.NaN }), stop: async () => agentServer.close() };
    },
  },
  wsVariant,
  {
    id: 'socketio',
    label: 'Agent Socket, Socket.IO',
    short: 'ASP Socket.IO',
    role: 'ours',
    server: CHILD,
    bytesAt: AT_SOCKET,
    cannot: {},
    start: remote(CHILD_ENTRY, 'agent-socketio', (url) => aspSession(socketIoConnector({ url: socketIoUrl(url).origin, namespace: socketIoUrl(url).namespace }))),
  },
  {
    id: 'relay',
    label: 'Agent Socket, Relay mode (ws → relay → function over HTTP)',
    short: 'ASP relay → function',
    role: 'ours',
    server: 'a child process of its own: the relay and the function (node:http) together',
    bytesAt: 'the relay’s client-facing TCP sockets (bytesRead + bytesWritten)',
    cannot: {},
    start: remote(CHILD_ENTRY, 'agent-relay', (url) => aspSession(wsConnector({ url }))),
  },
  {
    id: 'mcp-http',
    label: 'Agent Socket, MCP Streamable HTTP (bridge)',
    short: 'ASP MCP HTTP (bridge)',
    role: 'ours',
    server: CHILD,
    bytesAt: AT_SOCKET,
    cannot: {},
    maxMemoryConnections: MCP_MEMORY_SESSIONS,
    start: remote(CHILD_ENTRY, 'agent-mcp-http', (url) => mcpSession(new StreamableHTTPClientTransport(new URL(url)))),
  },
  {
    id: 'mcp-stdio',
    label: 'Agent Socket, MCP stdio (bridge)',
    short: 'ASP MCP stdio (bridge)',
    role: 'ours',
    server: 'a child process per connection, spawned by the SDK client',
    bytesAt: AT_PIPE,
    cannot: { memory: ONE_PER_PROCESS },
    maxSetupSamples: 1,
    start: stdio('./servers/agent-stdio'),
  },
  ...(hasPushpin() ? [pushpinVariant()] : []),
  rawWsVariant,
  msgpackRpcVariant,
  plainSocketIoVariant,
  {
    id: 'bare-mcp-http',
    label: 'bare MCP SDK server, Streamable HTTP',
    short: 'bare MCP SDK, HTTP',
    role: 'reference',
    server: CHILD,
    bytesAt: AT_SOCKET,
    cannot: {},
    maxMemoryConnections: MCP_MEMORY_SESSIONS,
    start: remote(CHILD_ENTRY, 'bare-mcp-http', (url) => mcpSession(new StreamableHTTPClientTransport(new URL(url)))),
  },
  {
    id: 'bare-mcp-stdio',
    label: 'bare MCP SDK server, stdio',
    short: 'bare MCP SDK, stdio',
    role: 'reference',
    server: 'a child process per connection, spawned by the SDK client',
    bytesAt: AT_PIPE,
    cannot: { memory: ONE_PER_PROCESS },
    maxSetupSamples: 1,
    start: stdio('./servers/bare-mcp-stdio'),
  },
];
