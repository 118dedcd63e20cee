import { rawEchoClient } from '@agentsocket/bench/clients/raw-echo';
import type { Session } from '../variant.js';
import { invokeFrameBytes } from '../workload.js';

/** The reference client: apps/bench's bare `ws` client, echoing a message the size of our INVOKE frame. */
export async function rawWsSession(url: string): Promise<Session> {
  const client = await rawEchoClient(url, invokeFrameBytes());
  return { echo: () => client.call(), close: () => client.close() };
}
