import { AgentClient, type AgentClientOptions, CloseCode, type Connector, type TransportCloseInfo } from '@agentsocket/core';
import { expect } from 'vitest';

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

const CLOSE_NAMES = new Map<number, string>(Object.entries(CloseCode).map(([name, code]) => [code, name]));

/**
 * Asserts the close code an end saw. The message points at the likely cause when a transport
 * drops codes (1005 "no status" or 1006 in place of core's 4xxx codes).
 */
export function expectCloseCode(info: TransportCloseInfo, expected: number | readonly number[], what = 'close code'): void {
  const list = typeof expected === 'number' ? [expected] : expected;
  const names = list.map((code) => `${code}${CLOSE_NAMES.has(code) ? ` ${CLOSE_NAMES.get(code)}` : ''}`).join(' or ');
  expect(
    list,
    `${what}: expected ${names}, got ${info.code} "${info.reason}". If the "close codes" transport tests fail too, the transport does not carry close codes (see "Close codes" in docs/writing-a-transport.md)`,
  ).toContain(info.code);
}
