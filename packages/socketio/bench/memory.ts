import { AgentClient } from '@agentsocket/core';
import { wsConnector } from '@agentsocket/ws';
import { io as ioClient } from 'socket.io-client';
import { WebSocket } from 'ws';
import { socketIoConnector } from '../src/index.js';
import { median, pool, startRemote, until } from '@agentsocket/bench-kit';
import { SERVER } from './variants.js';

export type MemoryVariant = 'asp-sio' | 'plain-sio' | 'raw-ws' | 'asp-ws';
export const MEMORY_VARIANTS: readonly MemoryVariant[] = ['asp-sio', 'plain-sio', 'asp-ws', 'raw-ws'];

export interface MemoryResult {
  connections: number;
  /** Per variant: bytes per idle connection, one entry per round. */
  rssPerConnection: Record<MemoryVariant, number[]>;
  heapPerConnection: Record<MemoryVariant, number[]>;
  medians: Record<MemoryVariant, { rss: number; heap: number }>;
}

/** Opens one idle connection of `variant` to the server at `url`; resolves with its closer once it is open. */
async function open(variant: MemoryVariant, url: string): Promise<() => void> {
  switch (variant) {
    case 'asp-sio':
    case 'asp-ws': {
      const connect =
        variant === 'asp-sio' ? socketIoConnector({ url: new URL(url).origin, namespace: new URL(url).pathname }) : wsConnector({ url });
      const client = new AgentClient({ connect, reconnect: false });
      await client.connect();
      return () => void client.close();
    }
    case 'plain-sio': {
      const socket = ioClient(url, { transports: ['websocket'], forceNew: true, reconnection: false });
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('connect_error', reject);
      });
      return () => socket.disconnect();
    }
    case 'raw-ws': {
      const socket = new WebSocket(url);
      await new Promise<void>((resolve, reject) => {
        socket.once('open', () => resolve());
        socket.once('error', reject);
      });
      return () => socket.close();
    }
  }
}

/**
 * (c) Idle memory per connection: the server runs alone in a child process; its RSS and heap
 * are read (after two full GCs) before and after `connections` idle connections, and the
 * difference is divided by their number. A fresh process per variant and round.
 */
export async function memoryBench(options: { rounds: number; connections: number }): Promise<MemoryResult> {
  const empty = (): Record<MemoryVariant, number[]> => ({ 'asp-sio': [], 'plain-sio': [], 'raw-ws': [], 'asp-ws': [] });
  const rss = empty();
  const heap = empty();
  for (let r = 0; r < options.rounds; r++) {
    const order = [...MEMORY_VARIANTS.slice(r % MEMORY_VARIANTS.length), ...MEMORY_VARIANTS.slice(0, r % MEMORY_VARIANTS.length)];
    for (const variant of order) {
      const server = await startRemote(SERVER, variant);
      const closers: Array<() => void> = [];
      try {
        const before = await server.memory();
        await pool(
          Array.from({ length: options.connections }, (_, i) => i),
          64,
          async () => {
            closers.push(await open(variant, server.url));
          },
        );
        await until(async () => (await server.connections()) === options.connections, `${options.connections} ${variant} connections`);
        const after = await server.memory();
        rss[variant].push((after.rss - before.rss) / options.connections);
        heap[variant].push((after.heapUsed - before.heapUsed) / options.connections);
      } finally {
        for (const close of closers) close();
        await server.stop();
      }
    }
  }
  const m = (v: MemoryVariant) => ({ rss: median(rss[v]), heap: median(heap[v]) });
  const medians = { 'asp-sio': m('asp-sio'), 'plain-sio': m('plain-sio'), 'raw-ws': m('raw-ws'), 'asp-ws': m('asp-ws') };
  return { connections: options.connections, rssPerConnection: rss, heapPerConnection: heap, medians };
}
