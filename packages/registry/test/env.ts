import { randomBytes } from 'node:crypto';
import { Socket } from 'node:net';
import { RedisConnection } from '@agentsocket/redis';
import { expect } from 'vitest';
import type { PresenceEvent } from '../src/index.js';

/** The shared Redis (never flushed: every test works under its own prefix). */
export const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

function redisReachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(Number(port || 6379), hostname, () => {
      socket.write('PING\r\n');
      socket.once('data', (d) => done(d.toString().startsWith('+PONG')));
    });
  });
}

/** Redis must be there on CI (.ci/run starts it); elsewhere the tests skip loudly. */
export async function redisOrSkip(): Promise<boolean> {
  if (await redisReachable(REDIS_URL)) return true;
  if (process.env['CI'] === 'true') throw new Error(`${REDIS_URL} is unreachable; CI must run the registry tests (.ci/run starts Redis)`);
  console.warn(`\n!!! SKIPPING @agentsocket/registry tests: ${REDIS_URL} is unreachable !!!\n`);
  return false;
}

/** A prefix no other test (or run) uses. */
export function uniquePrefix(): string {
  return `test:reg:${randomBytes(6).toString('hex')}:`;
}

export async function connection(): Promise<RedisConnection> {
  const c = new RedisConnection({ url: REDIS_URL });
  await c.whenReady(10_000);
  return c;
}

/** Collects events and waits for the first one matching `match` (fails after `timeoutMs`). */
export class EventLog {
  readonly events: PresenceEvent[] = [];
  private waiters: Array<{ match: (e: PresenceEvent) => boolean; resolve: (e: PresenceEvent) => void }> = [];

  readonly push = (e: PresenceEvent): void => {
    this.events.push(e);
    this.waiters = this.waiters.filter((w) => {
      if (!w.match(e)) return true;
      w.resolve(e);
      return false;
    });
  };

  wait(match: (e: PresenceEvent) => boolean, timeoutMs = 15_000, what = 'event'): Promise<PresenceEvent> {
    const seen = this.events.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} within ${timeoutMs} ms; got ${JSON.stringify(this.events.map((e) => e.type))}`)), timeoutMs);
      this.waiters.push({
        match,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      });
    });
  }
}

export function agentEvent(type: PresenceEvent['type'], agentId: string) {
  return (e: PresenceEvent) => e.type === type && 'agent' in e && e.agent.agentId === agentId;
}

export async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last = await read();
  while (!ok(last)) {
    if (Date.now() > end) expect.fail(`condition not met within ${timeoutMs} ms; last value ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 50));
    last = await read();
  }
  return last;
}
