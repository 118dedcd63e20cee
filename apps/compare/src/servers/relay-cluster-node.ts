/**
 * One relay of a two-relay cluster for `relay-push-bench`: a Relay whose AgentServer keeps sessions
 * in Redis and whose callbacks reach any relay of the cluster (docs/relay.md §5.4), behind ws.
 * Env: FUNCTION_URL, SECRET, CALLBACK_SECRET, PREFIX, NODE_ID. Prints "ready <ws url> <callback url>"
 * once serving; exits when its stdin ends.
 */
import { redisCluster } from '@agentsocket/redis';
import { Relay } from '@agentsocket/relay';
import { wsServer } from '@agentsocket/ws';

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};

const cluster = redisCluster({ prefix: env('PREFIX'), nodeId: env('NODE_ID') });
await cluster.ready(10_000);
const relay = await Relay.start({
  function: { url: env('FUNCTION_URL'), secret: env('SECRET') },
  callback: { secret: env('CALLBACK_SECRET') },
  server: cluster.serverOptions,
  cluster: { prefix: env('PREFIX') },
});
const endpoint = await wsServer({ agentServer: relay.server, port: 0, host: '127.0.0.1' });
console.log(`ready ${endpoint.url ?? ''} ${relay.callbackUrl}`);
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
