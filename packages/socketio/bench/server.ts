/** Child process entry: one benchmark server (named by argv[2]) until the parent says stop. See the kit's serveServers. */
import { AgentServer } from '@agentsocket/core';
import { type BenchServer, benchAgent, countingServer, kitServers, serveServers } from '@agentsocket/bench-kit/servers';
import { createShardedAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { socketIoHub, socketIoServer } from '../src/index.server.js';

const MiB = 1024 * 1024;

/** Ours: the kit's bench agent over @agentsocket/socketio with its defaults (WebSocket only). */
async function aspSocketIo(): Promise<BenchServer> {
  const c = await countingServer();
  const io = await socketIoServer({ agentServer: new AgentServer(benchAgent()), server: c.http });
  return {
    url: `http://127.0.0.1:${c.port}${io.namespace.name}`,
    counters: c.counters,
    close: async () => {
      await io.close();
      await c.close();
    },
  };
}

/** One node of a team cluster: Socket.IO with the sharded Redis adapter, the hub, teams in every namespace. */
async function clusterNode([redisUrl = 'redis://127.0.0.1:6379', prefix = 'asp-bench', nodeId = 'node']: readonly string[]): Promise<BenchServer> {
  const pub = new Redis(redisUrl);
  // No ready check on the subscriber: after a reconnect ioredis would send INFO in subscriber mode and fail.
  const sub = pub.duplicate({ enableReadyCheck: false });
  const c = await countingServer();
  const io = new Server(c.http, {
    adapter: createShardedAdapter(pub, sub, { channelPrefix: prefix }),
    transports: ['websocket'],
    serveClient: false,
    maxHttpBufferSize: 17 * MiB,
  });
  const hub = socketIoHub(io, { nodeId });
  const agentServer = new AgentServer(benchAgent(), { nodeId, teams: { hub } });
  await socketIoServer({ agentServer, io, namespace: /^\/[\w-]+$/, teamNamespaces: true });
  return {
    url: `http://127.0.0.1:${c.port}`,
    counters: c.counters,
    close: async () => {
      await io.close();
      await c.close();
      pub.disconnect();
      sub.disconnect();
    },
  };
}

await serveServers({
  'asp-sio': aspSocketIo,
  'plain-sio': kitServers['plain-socketio'],
  'raw-ws': kitServers['raw-ws'],
  'asp-ws': kitServers['agent-ws'],
  'cluster-node': clusterNode,
});
