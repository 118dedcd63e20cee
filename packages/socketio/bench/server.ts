import { createServer } from 'node:http';
import { AgentServer, defineAgent, tool } from '@agentsocket/core';
import { wsServer } from '@agentsocket/ws';
import { createShardedAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { WebSocketServer } from 'ws';
import { socketIoHub, socketIoServer } from '../src/index.server.js';
import { type ChildMessage, parseParentMessage, SERVER_MODES, type ServerMode } from './protocol.js';

/** A benchmark server in a child process: `node server.ts <mode> [redisUrl prefix nodeId]`. */

const echoAgent = () => defineAgent({ name: 'bench', tools: { echo: tool({ handler: (args) => args }) } });
const MiB = 1024 * 1024;

interface Running {
  port: number;
  connections: () => number;
}

async function listen(http: ReturnType<typeof createServer>): Promise<number> {
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const address = http.address();
  return typeof address === 'object' && address !== null ? address.port : 0;
}

async function start(mode: ServerMode, args: string[]): Promise<Running> {
  switch (mode) {
    case 'asp-sio': {
      const agentServer = new AgentServer(echoAgent());
      const sio = await socketIoServer({ agentServer, port: 0, host: '127.0.0.1' });
      return { port: sio.port ?? 0, connections: () => agentServer.sessionCount };
    }
    case 'plain-sio': {
      const http = createServer();
      const io = new Server(http, { transports: ['websocket'], serveClient: false, maxHttpBufferSize: 17 * MiB });
      io.on('connection', (socket) => {
        socket.on('echo', (payload: unknown, ack: unknown) => {
          if (typeof ack === 'function') ack(payload);
        });
      });
      return { port: await listen(http), connections: () => io.engine.clientsCount };
    }
    case 'raw-ws': {
      const http = createServer();
      const wss = new WebSocketServer({ server: http });
      wss.on('connection', (socket) => socket.on('message', (data, binary) => socket.send(data, { binary })));
      return { port: await listen(http), connections: () => wss.clients.size };
    }
    case 'asp-ws': {
      const agentServer = new AgentServer(echoAgent());
      const ws = await wsServer({ agentServer, port: 0, host: '127.0.0.1' });
      return { port: ws.address()?.port ?? 0, connections: () => agentServer.sessionCount };
    }
    case 'cluster-node': {
      const [redisUrl = 'redis://127.0.0.1:6379', prefix = 'asp-bench', nodeId = 'node'] = args;
      const pub = new Redis(redisUrl);
      // No ready check on the subscriber: after a reconnect ioredis would send INFO in subscriber mode and fail.
      const sub = pub.duplicate({ enableReadyCheck: false });
      const http = createServer();
      const io = new Server(http, {
        adapter: createShardedAdapter(pub, sub, { channelPrefix: prefix }),
        transports: ['websocket'],
        serveClient: false,
        maxHttpBufferSize: 17 * MiB,
      });
      const hub = socketIoHub(io, { nodeId });
      const agentServer = new AgentServer(echoAgent(), { nodeId, teams: { hub } });
      await socketIoServer({ agentServer, io, namespace: /^\/[\w-]+$/, teamNamespaces: true });
      return { port: await listen(http), connections: () => agentServer.sessionCount };
    }
  }
}

function reply(message: ChildMessage): void {
  process.send?.(message);
}

const mode = SERVER_MODES.find((m) => m === process.argv[2]);
if (!mode) throw new Error(`usage: server.ts <${SERVER_MODES.join('|')}>`);
const running = await start(mode, process.argv.slice(3));
process.on('message', (raw) => {
  const m = parseParentMessage(raw);
  if (m?.type === 'stop') process.exit(0);
  if (m?.type === 'measure') {
    // Two passes: the first frees what finalizers release for the second.
    globalThis.gc?.();
    globalThis.gc?.();
    const { rss, heapUsed } = process.memoryUsage();
    reply({ type: 'memory', rss, heapUsed, connections: running.connections() });
  }
});
reply({ type: 'ready', port: running.port });
