import { AgentClient, type AgentClientOptions, type Connector } from '@agentsocket/core';

/** Resolves when `predicate` holds, checking after every event-loop turn; fails after `ms`. */
export async function until(predicate: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** A latch a handler can wait on and a test can open. */
export function gate(): { wait: Promise<void>; open: () => void } {
  let open = () => {};
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}

/** A connector that can be held shut, so a test decides when a reconnect may succeed. */
export function holdable(connector: Connector): Connector & { hold(): void; release(): void } {
  let held = false;
  const connect = async (signal: AbortSignal) => {
    if (held) throw new Error('connection held shut by the test');
    return connector(signal);
  };
  return Object.assign(connect, {
    hold: () => {
      held = true;
    },
    release: () => {
      held = false;
    },
  });
}

export async function connectClient(options: AgentClientOptions): Promise<AgentClient> {
  const client = new AgentClient({ reconnect: { initialMs: 10, maxMs: 200 }, ...options });
  await client.connect();
  return client;
}
