import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadAverage, machineInfo, median, renderTable, writeJsonReport } from '@agentsocket/bench-kit';
import { WebSocket } from 'ws';
import { NODE, type Proc, start, stop } from './procs.js';

/**
 * Scale, measured (a program, not a test): one server process holding `--connections` idle
 * connections opened by `--client-processes` client processes, for ASP over ws, plain Socket.IO
 * and raw ws, in rotated order per round; memory per connection is the server's growth in RSS and
 * heap (after two full collections) divided by the connections. Then an ASP server with
 * `maxConnections` is filled and asked for more: each extra upgrade must get HTTP 503.
 *   pnpm --filter @agentsocket/scale start -- [--connections 19950] [--client-processes 8] [--rounds 1] [--capacity 1000]
 *     [--kinds asp,socketio,ws] [--at-once 25] [--open-timeout-ms 10000]
 * The fd limit must allow it: the script raises `ulimit -n` where it can (the hard limit caps it).
 */
const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    connections: { type: 'string', default: '19950' },
    'client-processes': { type: 'string', default: '8' },
    rounds: { type: 'string', default: '1' },
    capacity: { type: 'string', default: '1000' },
    kinds: { type: 'string', default: 'asp,socketio,ws' },
    'at-once': { type: 'string', default: '25' },
    'open-timeout-ms': { type: 'string', default: '10000' },
  },
});
const total = Number(values.connections);
const procs = Number(values['client-processes']);
const rounds = Number(values.rounds);
const capacity = Number(values.capacity);
const ALL_KINDS = ['asp', 'socketio', 'ws'] as const;
type Kind = (typeof ALL_KINDS)[number];
const isKind = (k: string): k is Kind => (ALL_KINDS as readonly string[]).includes(k);
const KINDS = values.kinds.split(',').filter(isKind);
if (KINDS.length === 0) throw new Error('--kinds lists none of asp, socketio, ws');
/** Per client process: handshakes in flight at a time, and how long each may take to open. */
const CLIENT_ARGS = ['--at-once', values['at-once'], '--open-timeout-ms', values['open-timeout-ms']];
const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));

async function memory(server: Proc): Promise<{ rss: number; heap: number; connections: number }> {
  server.child.stdin?.write('mem\n');
  const m = await server.next();
  return { rss: Number(m['rss']), heap: Number(m['heap']), connections: Number(m['connections']) };
}

interface Sample {
  kind: Kind;
  round: number;
  connections: number;
  failed: number;
  rssPerConn: number;
  heapPerConn: number;
  openMs: number;
}

async function idle(kind: Kind, round: number): Promise<Sample> {
  const server = start(['--expose-gc', ...NODE, here('./server.ts'), '--kind', kind]);
  const { port } = await server.next();
  await new Promise((r) => setTimeout(r, 500));
  const before = await memory(server);
  const began = performance.now();
  const each = Math.ceil(total / procs);
  const clients = Array.from({ length: procs }, (_, i) =>
    start([...NODE, here('./clients.ts'), '--kind', kind, '--port', String(port), '--count', String(Math.min(each, total - i * each)), ...CLIENT_ARGS]),
  );
  const reports = await Promise.all(clients.map((c) => c.next()));
  const openMs = performance.now() - began;
  const opened = reports.reduce((a, r) => a + Number(r['opened']), 0);
  const failed = reports.reduce((a, r) => a + Number(r['failed']), 0);
  const firstError = reports.map((r) => r['firstError']).find((e) => e !== undefined);
  if (failed > 0) console.log(`  ${kind}: ${failed} connections failed, e.g. ${String(firstError)}`);
  await new Promise((r) => setTimeout(r, 1000));
  const after = await memory(server);
  const held = after.connections || opened;
  const sample = {
    kind,
    round,
    connections: held,
    failed,
    rssPerConn: (after.rss - before.rss) / held,
    heapPerConn: (after.heap - before.heap) / held,
    openMs,
  };
  console.log(
    `  round ${round} ${kind}: ${held} held (${failed} failed) in ${(openMs / 1000).toFixed(1)} s; RSS ${Math.round(sample.rssPerConn)} B/conn, heap ${Math.round(sample.heapPerConn)} B/conn`,
  );
  await Promise.all(clients.map(stop));
  await stop(server);
  return sample;
}

/** Fills an ASP server with maxConnections = capacity, then tries 20 more upgrades. */
async function overCapacity(): Promise<{ held: number; statuses: number[]; body: string; retryAfter: string | undefined }> {
  const server = start([...NODE, here('./server.ts'), '--kind', 'asp', '--max-connections', String(capacity)]);
  const { port } = await server.next();
  const client = start([...NODE, here('./clients.ts'), '--kind', 'asp', '--port', String(port), '--count', String(capacity), ...CLIENT_ARGS]);
  const report = await client.next();
  const statuses: number[] = [];
  let body = '';
  let retryAfter: string | undefined;
  for (let i = 0; i < 20; i++) {
    await new Promise<void>((resolve) => {
      const socket = new WebSocket(`ws://127.0.0.1:${port}/asp`, ['asp-v1']);
      socket.on('error', () => resolve());
      socket.once('open', () => {
        statuses.push(101);
        socket.terminate();
        resolve();
      });
      socket.once('unexpected-response', (_req, res) => {
        statuses.push(res.statusCode ?? 0);
        retryAfter = String(res.headers['retry-after']);
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body = d.trim();
        });
        res.on('end', () => {
          socket.terminate();
          resolve();
        });
      });
    });
  }
  await stop(client);
  await stop(server);
  return { held: Number(report['opened']), statuses, body, retryAfter };
}

console.log(
  `scale: ${total} idle connections per server from ${procs} client processes (${values['at-once']} handshakes at a time each, ${values['open-timeout-ms']} ms to open), ${rounds} round(s); capacity check at ${capacity}`,
);
const load0 = loadAverage();
const samples: Sample[] = [];
for (let round = 0; round < rounds; round++) {
  // Rotated order, so no kind always runs first (or last) on a busy machine.
  const order = KINDS.map((_, i) => KINDS[(i + round) % KINDS.length] as Kind);
  for (const kind of order) samples.push(await idle(kind, round));
}
const cap = await overCapacity();
const load1 = loadAverage();

const of = (kind: Kind, f: (s: Sample) => number) => median(samples.filter((s) => s.kind === kind).map(f));
const rows = KINDS.map((kind) => [
  kind === 'asp' ? 'ASP over @agentsocket/ws' : kind === 'socketio' ? 'plain Socket.IO' : 'raw ws',
  String(of(kind, (s) => s.connections)),
  `${Math.round(of(kind, (s) => s.rssPerConn))} B`,
  `${Math.round(of(kind, (s) => s.heapPerConn))} B`,
  KINDS.includes('asp') ? `${(of(kind, (s) => s.heapPerConn) / of('asp', (s) => s.heapPerConn)).toFixed(2)}× ASP` : '',
]);
console.log(`\n${renderTable([{ header: 'server' }, { header: 'held' }, { header: 'RSS/conn' }, { header: 'heap/conn' }, { header: 'heap vs ASP' }], rows)}`);
const refused = cap.statuses.filter((s) => s === 503).length;
console.log(
  `\nover capacity: ${cap.held}/${capacity} held; ${refused}/${cap.statuses.length} extra upgrades refused with 503 (Retry-After: ${cap.retryAfter}): "${cap.body}"`,
);
console.log(`load average ${load0} → ${load1}`);
const path = writeJsonReport(fileURLToPath(new URL('../../../reports/', import.meta.url)), 'scale', {
  machine: machineInfo(),
  load: [load0, load1],
  options: { total, procs, rounds, capacity, kinds: KINDS, atOnce: Number(values['at-once']), openTimeoutMs: Number(values['open-timeout-ms']) },
  samples,
  capacity: cap,
});
console.log(`wrote ${path}`);
process.exit(refused === cap.statuses.length && cap.held === capacity ? 0 : 1);
