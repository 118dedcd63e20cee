import { type BenchServer, benchAgent, countingServer } from '@agentsocket/bench-kit/servers';
import { AgentServer } from '@agentsocket/core';
import { socketIoServer } from '@agentsocket/socketio/server';

/** Ours: the agent served over @agentsocket/socketio with its defaults (WebSocket only). */
export async function agentSocketIoServer(): Promise<BenchServer> {
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
