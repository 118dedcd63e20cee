import { AgentClient } from '@agentsocket/core';
import { io as ioClient, type Socket } from 'socket.io-client';
import { socketIoConnector } from '../src/index.js';
import { ServerChild } from './child.js';
import { median } from './stats.js';

export interface InvokeOptions {
  rounds: number;
  seconds: number;
  inflight: number;
  payloadBytes: number;
}

export interface InvokeResult {
  inflight: number;
  payloadBytes: number;
  secondsPerRound: number;
  /** Calls per second, one entry per round. */
  asp: number[];
  plain: number[];
  aspMedian: number;
  plainMedian: number;
  /** ASP / plain of each round (the two ran back to back), and their median: the headline figure. */
  ratios: number[];
  ratio: number;
}

/** Keeps `inflight` calls running for `ms` and returns completed calls per second. */
async function throughput(call: () => Promise<unknown>, inflight: number, ms: number): Promise<number> {
  let done = 0;
  const start = performance.now();
  const end = start + ms;
  const worker = async () => {
    while (performance.now() < end) {
      await call();
      done++;
    }
  };
  await Promise.all(Array.from({ length: inflight }, worker));
  return done / ((performance.now() - start) / 1000);
}

function connected(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
}

/**
 * (a) An agent invoke (at-least-once, acknowledged) over our Socket.IO transport against plain
 * Socket.IO emitWithAck echoing the same payload, both at `inflight` calls in flight, each server
 * in its own process, rounds interleaved.
 */
export async function invokeBench(options: InvokeOptions): Promise<InvokeResult> {
  const [aspServer, plainServer] = await Promise.all([ServerChild.start('asp-sio'), ServerChild.start('plain-sio')]);
  const client = new AgentClient({ connect: socketIoConnector({ url: `http://127.0.0.1:${aspServer.port}` }), reconnect: false });
  await client.connect();
  const socket = ioClient(`http://127.0.0.1:${plainServer.port}`, { transports: ['websocket'], forceNew: true });
  await connected(socket);
  const payload = { text: 'x'.repeat(options.payloadBytes), n: 42 };
  const variants = {
    asp: () => client.invoke('echo', payload).result,
    plain: () => socket.emitWithAck('echo', payload),
  };
  try {
    for (const run of Object.values(variants)) await throughput(run, options.inflight, 1000); // warm-up
    const asp: number[] = [];
    const plain: number[] = [];
    for (let r = 0; r < options.rounds; r++) {
      // Alternate which goes first, so neither always runs on a warmer machine.
      const order = r % 2 === 0 ? (['asp', 'plain'] as const) : (['plain', 'asp'] as const);
      for (const name of order) {
        const ops = await throughput(variants[name], options.inflight, options.seconds * 1000);
        (name === 'asp' ? asp : plain).push(ops);
      }
    }
    // A ratio per round cancels load that drifts between rounds (other processes on the machine).
    const ratios = asp.map((a, i) => a / (plain[i] ?? Number.NaN));
    return {
      inflight: options.inflight,
      payloadBytes: options.payloadBytes,
      secondsPerRound: options.seconds,
      asp,
      plain,
      aspMedian: median(asp),
      plainMedian: median(plain),
      ratios,
      ratio: median(ratios),
    };
  } finally {
    await client.close();
    socket.disconnect();
    await Promise.all([aspServer.stop(), plainServer.stop()]);
  }
}
