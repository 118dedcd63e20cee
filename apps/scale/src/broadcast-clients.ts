import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { AgentClient } from '@agentsocket/core';
import { wsConnector } from '@agentsocket/ws';

/**
 * One client process of the broadcast scenario: opens `count` agents (ids `agent-<first>` on),
 * agent i on node `ports[i % ports.length]`, in namespace `ns`, each joined to `room`; prints
 * `{"opened","failed","firstError"}` once all are in. Each `tick` message carries the sender's
 * clock (`sentAt`, ms since the epoch from performance.timeOrigin + now()); its delivery latency is
 * the receiver's clock minus that (one machine, one clock). When every agent here has the tick of
 * a round, or on `flush <round>` from stdin, prints `{"round","latencies","missing"}`.
 */
const { values } = parseArgs({
  options: {
    ports: { type: 'string' },
    first: { type: 'string', default: '0' },
    count: { type: 'string' },
    ns: { type: 'string', default: '/team-scale' },
    room: { type: 'string', default: 'all' },
    'at-once': { type: 'string', default: '25' },
    'open-timeout-ms': { type: 'string', default: '10000' },
  },
});
const ports = String(values.ports).split(',').map(Number);
const first = Number(values.first);
const count = Number(values.count);
const now = () => performance.timeOrigin + performance.now();

const clients: AgentClient[] = [];
let failed = 0;
let firstError: string | undefined;
let disconnects = 0;
/** The first connection lost after it was open: its close code and reason. */
let firstDisconnect: string | undefined;
const rounds = new Map<number, number[]>();
const reported = new Set<number>();

function report(round: number): void {
  if (reported.has(round)) return;
  reported.add(round);
  const latencies = rounds.get(round) ?? [];
  rounds.delete(round);
  console.log(JSON.stringify({ round, latencies: latencies.map((l) => Math.round(l * 100) / 100), missing: clients.length - latencies.length, disconnects, firstDisconnect }));
}

function onTick(data: unknown): void {
  const at = now();
  if (typeof data !== 'object' || data === null) return;
  const { round, sentAt } = data as { round?: unknown; sentAt?: unknown };
  if (typeof round !== 'number' || typeof sentAt !== 'number' || reported.has(round)) return;
  let got = rounds.get(round);
  if (!got) {
    got = [];
    rounds.set(round, got);
  }
  got.push(at - sentAt);
  if (got.length === clients.length) report(round);
}

function onPing(data: unknown): void {
  const at = now();
  const { round, sentAt } = (typeof data === 'object' && data !== null ? data : {}) as { round?: unknown; sentAt?: unknown };
  if (typeof sentAt === 'number') console.log(JSON.stringify({ ping: round, latency: Math.round((at - sentAt) * 100) / 100 }));
}

async function openOne(i: number): Promise<void> {
  const port = ports[i % ports.length];
  const client = new AgentClient({
    connect: wsConnector({ url: `ws://127.0.0.1:${port}/asp`, openTimeoutMs: Number(values['open-timeout-ms']) }),
    namespace: values.ns,
    name: `agent-${i}`,
    reconnect: false,
    connectAttempts: 3,
  });
  client.on('message', (m) => {
    if (m.event === 'tick') onTick(m.data);
    else if (m.event === 'ping') onPing(m.data);
  });
  client.on('disconnect', (info) => {
    disconnects++;
    firstDisconnect ??= `${info.code} ${info.reason}${info.local ? ' (local)' : ''}`;
  });
  await client.connect();
  await client.join(String(values.room));
  clients.push(client);
}

let next = first;
const opener = async () => {
  while (next < first + count) {
    const i = next++;
    try {
      await openOne(i);
    } catch (error) {
      failed++;
      firstError ??= error instanceof Error ? error.message : String(error);
    }
  }
};
await Promise.all(Array.from({ length: Number(values['at-once']) }, opener));
console.log(JSON.stringify({ opened: clients.length, failed, firstError }));

createInterface({ input: process.stdin }).on('line', (line) => {
  const [command, arg] = line.split(' ');
  if (command === 'flush') report(Number(arg));
});
process.stdin.on('end', () => process.exit(0));
