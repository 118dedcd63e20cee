import { runTransportCompliance, type TransportFixture } from '@agentsocket/compliance';
import { AgentServer, CloseCode, memoryConnector } from '@agentsocket/core';
import { describe } from 'vitest';
import { redisCluster } from '../src/index.js';
import { dropPrefix, REDIS_URL, redisOrSkip, uniquePrefix } from './redis-env.js';

const run = await redisOrSkip();
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/** The memory transport with an AgentServer whose hub, sessions and dedup are all on Redis. */
const redisBacked: TransportFixture = {
  name: 'memory + redis stores and hub',
  limits: { maxBufferedBytes: MAX_BUFFERED_BYTES },
  async start(agent, options = {}) {
    const prefix = uniquePrefix();
    const cluster = redisCluster({ url: REDIS_URL, prefix, nodeId: 'solo' });
    await cluster.ready();
    const server = new AgentServer(agent, {
      ...options,
      ...cluster.serverOptions,
      teams: { ...options.teams, hub: cluster.hub },
    });
    const connector = memoryConnector(server, { maxFrameBytes: 2 * server.maxFrameBytes + 64 * 1024, maxBufferedBytes: MAX_BUFFERED_BYTES });
    return {
      server,
      connector: () => connector,
      async dropConnections() {
        await Promise.all([...connector.serverEnds].map((t) => t.close(CloseCode.GOING_AWAY, 'dropped by test')));
      },
      async close() {
        server.close();
        await cluster.close();
        await dropPrefix(prefix);
      },
    };
  },
};

describe.runIf(run)('redis', () => {
  runTransportCompliance(redisBacked);
});
