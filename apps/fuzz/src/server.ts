/**
 * The server under fuzz, run as a child process so that its memory is its own: one AgentServer
 * on ws and on Socket.IO, a token required. Tells its parent the ports once listening, then
 * answers `memory` (after a full GC when asked), `peak` (the highest RSS sampled since the last
 * `peak`) and `stats` over IPC.
 */
import { AgentServer, defineAgent, tool } from '@agentsocket/core';
import { socketIoServer } from '@agentsocket/socketio/server';
import { wsServer } from '@agentsocket/ws';
import { SERVER_OPTIONS, TOKEN } from './config.js';
import type { Reply, Request } from './ipc.js';

const agent = defineAgent({
  name: 'fuzz',
  version: '1.0.0',
  tools: {
    echo: tool({ handler: (args) => args }),
    /** 64 KiB chunks until the caller interrupts or goes away: what a slow reader stops reading. */
    flood: tool({
      async *handler(_args, ctx) {
        while (!ctx.signal.aborted) yield new Uint8Array(64 * 1024);
      },
    }),
  },
});

const agentServer = new AgentServer(agent, {
  ...SERVER_OPTIONS,
  authenticate: (token) => (token === TOKEN ? { id: 'fuzzer' } : undefined),
});
// Bad input is reported here once per connection; the suite counts crashes, not these.
agentServer.on('error', () => {});
const ws = await wsServer({ agentServer, port: 0, host: '127.0.0.1' });
const sio = await socketIoServer({ agentServer, port: 0, host: '127.0.0.1' });

let peak = 0;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage.rss());
}, 5);
sampler.unref();

function collect(): void {
  const gc: unknown = Reflect.get(globalThis, 'gc');
  if (typeof gc === 'function') {
    gc();
    gc();
  }
}

process.on('message', (message: Request) => {
  let reply: Reply;
  switch (message.type) {
    case 'memory': {
      if (message.gc) collect();
      const m = process.memoryUsage();
      reply = { type: 'memory', id: message.id, rss: m.rss, heapUsed: m.heapUsed, external: m.external };
      break;
    }
    case 'peak': {
      const rss = process.memoryUsage.rss();
      reply = { type: 'peak', id: message.id, rss: Math.max(peak, rss) };
      peak = rss;
      break;
    }
    case 'stats':
      reply = { type: 'stats', id: message.id, sessions: agentServer.sessionCount, wsSockets: ws.sockets.size, sioConnections: sio.connections };
      break;
  }
  process.send?.(reply);
});

process.send?.({ type: 'ready', ws: ws.url ?? '', sio: `http://127.0.0.1:${sio.port ?? 0}` } satisfies Reply);
// The parent's end of the IPC channel going away ends this process.
process.on('disconnect', () => process.exit(0));
