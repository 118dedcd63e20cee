// One relay process of a scale-out test: a Relay whose AgentServer keeps sessions, replay state and
// exactly-once records in Redis (the same stores as Direct mode's cluster), and connection owners
// and state through the relay's own Redis backplane, behind ws.
// Env: FUNCTION_URL, SECRET, CALLBACK_SECRET, PREFIX, NODE_ID. Prints "ready <ws url> <callback url>" once serving.
import { redisCluster } from '@agentsocket/redis';
import { wsServer } from '@agentsocket/ws';
import { Relay } from '../src/index.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};

const cluster = redisCluster({ prefix: env('PREFIX'), nodeId: env('NODE_ID'), heartbeatMs: 500 });
await cluster.ready(10_000);
const relay = await Relay.start({
  function: { url: env('FUNCTION_URL'), secret: env('SECRET') },
  // One callback secret for the cluster, so a token one relay gave out is good at every relay.
  callback: { secret: env('CALLBACK_SECRET') },
  server: { ...cluster.serverOptions, heartbeatMs: 2_000 },
  // Callbacks received by any relay reach the relay holding the connection; state lives in Redis.
  cluster: { prefix: env('PREFIX') },
});
const endpoint = await wsServer({ agentServer: relay.server, port: 0, host: '127.0.0.1' });
console.log(`ready ${endpoint.url ?? ''} ${relay.callbackUrl}`);
process.stdin.on('end', () => process.exit(0)); // the test went away
process.stdin.resume();
