import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { AgentServer, defineAgent, tool } from '@agentsocket/core';
import { wsServer } from '@agentsocket/ws';
import { Server as SocketIoServer } from 'socket.io';
import { WebSocketServer } from 'ws';

/**
 * One server process of the scale benchmark (run with --expose-gc): `asp` (an AgentServer over
 * @agentsocket/ws), `socketio` (a bare Socket.IO server) or `ws` (a raw ws echo server). Prints
 * `{"port":…}` when listening; answers each `mem` line on stdin with `{"rss","heap","connections"}`
 * after two full collections.
 */
const { values } = parseArgs({ options: { kind: { type: 'string' }, 'max-connections': { type: 'string' } } });
const kind = values.kind;
let connections = 0;
let port = 0;
if (kind === 'asp') {
  const agent = defineAgent({ name: 'scale', tools: { echo: tool({ handler: (args) => args }) } });
  const agentServer = new AgentServer(agent);
  const max = values['max-connections'];
  const server = await wsServer({ agentServer, port: 0, host: '127.0.0.1', ...(max ? { maxConnections: Number(max) } : {}) });
  port = server.address()?.port ?? 0;
  setInterval(() => {
    connections = server.sockets.size;
  }, 200).unref();
} else if (kind === 'socketio') {
  const io = new SocketIoServer({ transports: ['websocket'], serveClient: false });
  io.on('connection', (socket) => {
    connections++;
    socket.on('echo', (data: unknown, ack: (d: unknown) => void) => ack(data));
    socket.on('disconnect', () => connections--);
  });
  const { createServer } = await import('node:http');
  const http = createServer();
  io.attach(http);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()));
  const address = http.address();
  port = typeof address === 'object' && address !== null ? address.port : 0;
} else if (kind === 'ws') {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', clientTracking: false, perMessageDeflate: false });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  wss.on('connection', (socket) => {
    connections++;
    socket.on('message', (data) => socket.send(data));
    socket.on('close', () => connections--);
  });
  const address = wss.address();
  port = typeof address === 'object' && address !== null ? address.port : 0;
} else {
  console.error('--kind must be asp, socketio or ws');
  process.exit(2);
}

function gc(): void {
  const collect: unknown = Reflect.get(globalThis, 'gc');
  if (typeof collect === 'function') {
    collect();
    collect();
  }
}

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line !== 'mem') return;
  gc();
  const m = process.memoryUsage();
  console.log(JSON.stringify({ rss: m.rss, heap: m.heapUsed, connections }));
});
process.stdin.on('end', () => process.exit(0));
console.log(JSON.stringify({ port }));
