import { ErrorCode, ProtocolError } from '@agentsocket/core';
import { sleep } from '@agentsocket/core/internal';
import { isTransient } from '@agentsocket/redis/internal';
import { TaskError } from './errors.js';
import { failure, parseEvent } from './record.js';
import type { TaskStore } from './store.js';
import type { TaskEvent } from './task.js';

type Check = { kind: 'ended'; event: TaskEvent } | { kind: 'waiting' } | { kind: 'foreign' };

/**
 * How a TaskClient waits for the outcome of the tasks it submitted: each record names the
 * client's own channel (`notify`), on which the store's scripts publish the terminal event. One
 * subscription per client, made once, instead of one per task; a wait is one HMGET after it.
 * A task submitted by another client (or an earlier one) is 'foreign': the caller watches it.
 */
export class ResultWaiter {
  readonly channel: string;
  private readonly store: TaskStore;
  private readonly waiters = new Map<string, Set<(event: TaskEvent) => void>>();
  private subscribed: Promise<unknown> | undefined;

  constructor(store: TaskStore, channel: string) {
    this.store = store;
    this.channel = channel;
  }

  /** The task's terminal event; undefined when its record names another channel. */
  async outcome(id: string, signal?: AbortSignal): Promise<TaskEvent | undefined> {
    await this.subscribe();
    signal?.throwIfAborted();
    const key = this.store.key.record(id);
    return new Promise<TaskEvent | undefined>((resolve, reject) => {
      const set = this.waiters.get(key) ?? new Set();
      this.waiters.set(key, set);
      const cleanup = () => {
        set.delete(done);
        if (set.size === 0 && this.waiters.get(key) === set) this.waiters.delete(key);
        signal?.removeEventListener('abort', aborted);
      };
      const done = (event: TaskEvent | undefined) => {
        cleanup();
        resolve(event);
      };
      const aborted = () => {
        cleanup();
        reject(signal?.reason);
      };
      set.add(done);
      signal?.addEventListener('abort', aborted);
      // Registered before the read: an outcome published meanwhile is not missed.
      this.check(id, signal).then(
        (c) => {
          if (c.kind === 'ended') done(c.event);
          else if (c.kind === 'foreign') done(undefined);
        },
        (error: unknown) => {
          cleanup();
          reject(error);
        },
      );
    });
  }

  private subscribe(): Promise<unknown> {
    this.subscribed ??= this.store
      .subscriber()
      .listen(this.channel, {
        message: (payload) => this.delivered(payload),
        // Back from a reconnect: outcomes published while away were missed; read the records.
        resync: () => {
          for (const [key, set] of this.waiters) {
            const id = key.slice(this.store.key.record('').length);
            void this.check(id).then(
              (c) => {
                if (c.kind === 'ended') for (const w of [...set]) w(c.event);
              },
              () => {},
            );
          }
        },
      })
      .catch((error: unknown) => {
        this.subscribed = undefined;
        throw error;
      });
    return this.subscribed;
  }

  private delivered(payload: string): void {
    const colon = payload.indexOf(':');
    const length = Number(payload.slice(0, colon));
    if (colon <= 0 || !Number.isSafeInteger(length)) return;
    const key = payload.slice(colon + 1, colon + 1 + length);
    const set = this.waiters.get(key);
    if (!set) return;
    let event: TaskEvent;
    try {
      event = parseEvent(payload.slice(colon + 1 + length));
    } catch {
      return;
    }
    for (const w of [...set]) w(event);
  }

  /** Reads the record; waits out a Redis outage like a watcher. */
  private async check(id: string, signal?: AbortSignal): Promise<Check> {
    const [state, result, error, dead, updated, notify] = await this.read(id, signal);
    if (state === null) throw new TaskError('NOT_FOUND', `no task ${id} (never submitted, or its result expired)`);
    const at = Number(updated);
    if (state === 'succeeded') return { kind: 'ended', event: { type: 'succeeded', at, result: result ? JSON.parse(result) : null } };
    if (state === 'failed') {
      return { kind: 'ended', event: { type: 'failed', at, error: failure(JSON.parse(error ?? '{}'), 'task record.error'), dead: dead === '1' } };
    }
    if (state === 'cancelled') return { kind: 'ended', event: { type: 'cancelled', at } };
    return notify === this.channel ? { kind: 'waiting' } : { kind: 'foreign' };
  }

  private async read(id: string, signal?: AbortSignal): Promise<Array<string | null>> {
    for (;;) {
      try {
        if (!this.store.connection.isReady) await this.store.connection.whenReady();
        return await this.store.connection.client.hmget(this.store.key.record(id), 'state', 'result', 'error', 'dead', 'updated', 'notify');
      } catch (error) {
        if (!isTransient(error) && !(error instanceof ProtocolError && error.code === ErrorCode.UNAVAILABLE)) throw error;
        await sleep(200, signal);
      }
    }
  }
}
