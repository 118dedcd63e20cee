import { ErrorCode, ProtocolError } from '@agentsocket/core';
import { Redis, type RedisOptions } from 'ioredis';
import { loadScripts, type LuaScript } from './script.js';

export interface RedisConnectionInit {
  /** Where Redis is. @default 'redis://127.0.0.1:6379' */
  url?: string;
  /** ioredis options, applied over the ones this package needs (see docs/transports/redis.md). */
  options?: RedisOptions;
  /** How long an operation started while Redis is unreachable waits for it before failing with 503. @default 1000 */
  offlineWaitMs?: number;
  /** Connection errors (refused, reset) as ioredis reports them; they also surface as 503s. */
  onError?: (error: Error) => void;
}

/** What ioredis must do for the outage semantics documented in docs/transports/redis.md. */
const REQUIRED: RedisOptions = {
  // A command in flight when the connection drops fails at once instead of being resent later.
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
  // Subscriptions are restored by their owners after the ready hooks, not behind their back.
  autoResubscribe: false,
  retryStrategy: (attempt) => Math.min(attempt * 50, 1000),
};

type Hook = () => Promise<void>;

/**
 * One ioredis connection plus what the stores need around it: whether it is usable, hooks that
 * run after every (re)connect before anything else may use it (loading scripts, re-registering),
 * hooks for when it drops, and a generation that changes when Redis restarted and lost its data.
 */
export class RedisConnection {
  readonly client: Redis;
  readonly offlineWaitMs: number;
  private readonly init: RedisConnectionInit;
  private readonly readyHooks = new Set<Hook>();
  private readonly downHooks = new Set<() => void>();
  private readonly scripts = new Set<LuaScript>();
  private waiters: Array<() => void> = [];
  private usable = false;
  private closing = false;
  private runId: string | undefined;
  private gen = 0;

  constructor(init: RedisConnectionInit = {}) {
    this.init = init;
    this.offlineWaitMs = init.offlineWaitMs ?? 1000;
    this.client = new Redis(init.url ?? 'redis://127.0.0.1:6379', { ...init.options, ...REQUIRED });
    this.client.on('error', (error: unknown) => init.onError?.(error instanceof Error ? error : new Error(String(error))));
    this.client.on('ready', () => void this.becameReady());
    this.client.on('close', () => this.onClose());
  }

  /** Connected, scripts loaded and every ready hook done. */
  get isReady(): boolean {
    return this.usable;
  }

  /** Changes each time Redis comes back as a different server process (its unpersisted data is gone). */
  get generation(): number {
    return this.gen;
  }

  /** A second connection to the same Redis with the same settings (pub/sub needs its own). */
  duplicate(): RedisConnection {
    return new RedisConnection(this.init);
  }

  /** Loads `script` now and after every reconnect, before the connection counts as ready. */
  useScript(script: LuaScript): void {
    this.scripts.add(script);
    if (this.usable) void loadScripts(this.client, [script]).catch(() => {});
  }

  /** Runs `hook` after every (re)connect, before waiting operations proceed. Returns a remover. */
  onReady(hook: Hook): () => void {
    this.readyHooks.add(hook);
    return () => this.readyHooks.delete(hook);
  }

  onDown(hook: () => void): () => void {
    this.downHooks.add(hook);
    return () => this.downHooks.delete(hook);
  }

  /** Resolves once usable; rejects with 503 UNAVAILABLE after `timeoutMs` (default offlineWaitMs). */
  whenReady(timeoutMs: number = this.offlineWaitMs): Promise<void> {
    if (this.usable) return Promise.resolve();
    if (this.closing) return Promise.reject(unavailable('the Redis connection is closed'));
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const waiter = () => {
        if (timer) clearTimeout(timer);
        resolve();
      };
      if (Number.isFinite(timeoutMs)) {
        timer = setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(unavailable(`Redis is unreachable (waited ${timeoutMs} ms)`));
        }, timeoutMs);
      }
      this.waiters.push(waiter);
    });
  }

  /** Closes politely (QUIT) after pending replies. */
  async close(): Promise<void> {
    this.closing = true;
    this.usable = false;
    await this.client.quit().catch(() => this.client.disconnect());
  }

  /** Drops the socket without a goodbye, as a crashed process would. */
  abandon(): void {
    this.closing = true;
    this.usable = false;
    this.client.disconnect();
  }

  private async becameReady(): Promise<void> {
    try {
      const info = await this.client.info('server');
      const runId = /run_id:(\w+)/.exec(info)?.[1];
      if (this.runId !== undefined && runId !== this.runId) this.gen++;
      this.runId = runId;
      await loadScripts(this.client, [...this.scripts]);
      for (const hook of this.readyHooks) await hook();
    } catch (error) {
      // The connection dropped again (the next 'ready' retries) or a hook failed: say so.
      this.init.onError?.(error instanceof Error ? error : new Error(String(error)));
      if (this.client.status !== 'ready') return;
    }
    if (this.closing) return;
    this.usable = true;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private onClose(): void {
    const was = this.usable;
    this.usable = false;
    if (was) for (const hook of this.downHooks) hook();
  }
}

/** The wire error every Redis-backed operation fails with while Redis is unreachable. */
export function unavailable(message: string, cause?: unknown): ProtocolError {
  return new ProtocolError(ErrorCode.UNAVAILABLE, message, cause === undefined ? undefined : { cause });
}

/**
 * True when an error means "the command may not have reached Redis, try again once it is back"
 * rather than "Redis refused it".
 */
export function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name !== 'ReplyError') return true;
  return /^(LOADING|BUSY|TRYAGAIN|MASTERDOWN|READONLY|CLUSTERDOWN)\b/.test(error.message);
}

/** Runs a Redis operation for a caller that must see 503 when Redis is away. */
export async function guarded<T>(connection: RedisConnection, what: string, op: () => Promise<T>): Promise<T> {
  if (!connection.isReady) await connection.whenReady();
  try {
    return await op();
  } catch (error) {
    if (isTransient(error)) throw unavailable(`Redis is unreachable: ${what} failed`, error);
    throw error;
  }
}
