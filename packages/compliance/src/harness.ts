import type { AgentClient, AgentClientOptions, AgentServerOptions } from '@agentsocket/core';
import { afterEach } from 'vitest';
import { complianceAgent, newProbe, type Probe } from './agent.js';
import type { ServerHandle, TransportFixture } from './fixture.js';
import { connectClient } from './util.js';

export interface Started {
  handle: ServerHandle;
  probe: Probe;
  client(options?: Partial<AgentClientOptions> & { token?: string }): Promise<AgentClient>;
  /** Runs `fn` after the test, before the server is closed. */
  cleanup(fn: () => Promise<unknown>): void;
}

/** Starts servers and clients for one test and stops them all after it. */
export function harness(fixture: TransportFixture): (options?: AgentServerOptions) => Promise<Started> {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    const all = cleanups.splice(0).reverse();
    for (const c of all) await c().catch(() => {});
  });
  return async (options) => {
    const probe = newProbe();
    const handle = await fixture.start(complianceAgent(probe), { heartbeatMs: 60_000, ...options });
    cleanups.push(() => handle.close());
    return {
      handle,
      probe,
      cleanup: (fn) => {
        cleanups.push(async () => {
          await fn();
        });
      },
      client: async (clientOptions = {}) => {
        const { token, ...rest } = clientOptions;
        const client = await connectClient({
          connect: handle.connector({
            ...(token === undefined ? {} : { token }),
            ...(rest.namespace === undefined ? {} : { namespace: rest.namespace }),
          }),
          ...(token === undefined ? {} : { token }),
          ...rest,
        });
        cleanups.push(() => client.close());
        return client;
      },
    };
  };
}
