import { type BenchServer, benchAgent, countingServer } from '@agentsocket/bench-kit/servers';
import { randomBytes } from 'node:crypto';
import { functionHandler } from '@agentsocket/function';
import { serveFunction } from '@agentsocket/function/node';
import { Relay } from '@agentsocket/relay';
import { wsServer } from '@agentsocket/ws';

/**
 * Ours in Relay mode: the agent runs as a function (a fetch handler on node:http in this process)
 * and clients reach it through the relay over @agentsocket/ws. Bytes are counted on the client
 * link only (the relay's ws server); memory and CPU are the relay and the function together.
 */
export async function agentRelayServer(): Promise<BenchServer> {
  const secret = randomBytes(16).toString('hex');
  const fn = await serveFunction(functionHandler(benchAgent(), { secret }));
  const relay = await Relay.start({ function: { url: fn.url, secret } });
  const c = await countingServer();
  const endpoint = await wsServer({ agentServer: relay.server, server: c.http });
  return {
    url: `ws://127.0.0.1:${c.port}${endpoint.path}`,
    counters: c.counters,
    close: async () => {
      relay.server.close();
      await endpoint.close();
      await c.close();
      await relay.close();
      await fn.close();
    },
  };
}
