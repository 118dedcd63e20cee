import { parseArgs } from 'node:util';
import { AgentClient } from '@agentsocket/core';
import { wsConnector } from '@agentsocket/ws';
import { io } from 'socket.io-client';
import { WebSocket } from 'ws';

/**
 * One client process of the scale benchmark: opens `count` idle connections of `kind` to `port`,
 * `at-once` handshakes at a time, each allowed `open-timeout-ms`, prints `{"opened":n,"failed":m,"firstError":…}` and holds them
 * until stdin closes.
 */
const { values } = parseArgs({
  options: {
    kind: { type: 'string' },
    port: { type: 'string' },
    count: { type: 'string' },
    'at-once': { type: 'string', default: '50' },
    'open-timeout-ms': { type: 'string', default: '10000' },
  },
});
const port = Number(values.port);
const count = Number(values.count);
/** How long one connection may take to open (ASP: the upgrade; the HELLO exchange has its own limit). */
const openTimeoutMs = Number(values['open-timeout-ms']);
const held: unknown[] = [];
let failed = 0;
let firstError: string | undefined;

async function openOne(): Promise<void> {
  switch (values.kind) {
    case 'asp': {
      const client = new AgentClient({ connect: wsConnector({ url: `ws://127.0.0.1:${port}/asp`, openTimeoutMs }), reconnect: false, connectAttempts: 3 });
      await client.connect();
      held.push(client);
      return;
    }
    case 'socketio': {
      const socket = io(`http://127.0.0.1:${port}`, { transports: ['websocket'], forceNew: true, reconnection: false, timeout: openTimeoutMs });
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('connect_error', reject);
      });
      held.push(socket);
      return;
    }
    default: {
      const socket = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false, handshakeTimeout: openTimeoutMs });
      await new Promise<void>((resolve, reject) => {
        socket.once('open', () => resolve());
        socket.once('error', reject);
      });
      held.push(socket);
    }
  }
}

let next = 0;
const opener = async () => {
  while (next < count) {
    next++;
    try {
      await openOne();
    } catch (error) {
      failed++;
      firstError ??= error instanceof Error ? error.message : String(error);
    }
  }
};
await Promise.all(Array.from({ length: Number(values['at-once']) }, opener));
console.log(JSON.stringify({ opened: held.length, failed, firstError }));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
