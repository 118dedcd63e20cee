import { ErrorCode, ProtocolError } from '@agentsocket/core';
import { sleep } from '@agentsocket/core/internal';
import { isTransient } from '@agentsocket/redis/internal';
import { TaskError } from './errors.js';
import { failure, parseEvent } from './record.js';
import type { TaskStore } from './store.js';
import type { TaskEvent } from './task.js';

type Check = { kind: 'ended'; event: TaskEvent } | { kind: 'waiting' } | { kind: 'foreign' };

/** Tasks submitted since the subscription was in place whose outcome nobody took yet, at most this many. */
const TRACKED = 10_000;

/**
 * How a TaskClient waits for the outcome of the tasks it submitted: each record names the
 * client's own channel (`notify`), on which the store's scripts publish the terminal event. One
 * subscription per client, made once, instead of one per task. A task submitted after that
 * subscription was in place (and with no reconnect since) is tracked: its outcome cannot be
 * published before the subscription saw it, so a wait reads nothing, and an outcome that arrives
 * before anyone waits is kept for the wait. Any other wait is one HMGET after registering.
 * A task submitted by another client (or an earlier one) is 'foreign': the caller watches it.
 */
export class ResultWaiter {
  readonly channel: string;
  private readonly store: TaskStore;
  private readonly waiters = new Map<string, Set<(event: TaskEvent) => void>>();
  private subscribed: Promise<unknown> | undefined;
  /** The subscription is in place (set once SUBSCRIBE answered; cleared on failure). */
  private live = false;
  /** Bumped by every reconnect of the subscriber (outcomes may have been missed). */
  private generation = 0;
  /** Record key → the generation it was submitted in and its terminal event's text once published. */
  private readonly tracked = new Map<string, { generation: number; text?: string }>();

  constructor(store: TaskStore, channel: string) {
    this.store = store;
    this.channel = channel;
  }

  /**
   * True when the subscription (made by the first wait) is in place, so a task stored from now on
   * can be tracked. A client that never waits never subscribes, and is sent no outcomes.
   */
  ready(): boolean {
    return this.live;
  }

  /** A task this client is about to store naming its channel, after ready() said true (untrack it if it was not created). */
  track(id: string): void {
    this.tracked.set(this.store.key.record(id), { generation: this.generation });
    if (this.tracked.size > TRACKED) {
      const oldest = this.tracked.keys().next();
      if (!oldest.done) this.tracked.delete(oldest.value);
    }
  }

  untrack(id: string): void {
    this.tracked.delete(this.store.key.record(id));
  }

  /** The task's terminal event; undefined when its record names another channel. */
  async outcome(id: string, signal?: AbortSignal): Promise<TaskEvent | undefined> {
    const key = this.store.key.record(id);
    const known = this.tracked.get(key);
    if (known?.text !== undefined) {
      this.tracked.delete(key);
      try {
        return parseEvent(known.text);
      } catch {
        // Not an event this package wrote: read the record instead.
      }
    }
    // Tracked and no reconnect since its submit: the outcome is still to come on the channel.
    const fast = known !== undefined && known.text === undefined && known.generation === this.generation && this.live;
    if (!fast) await this.subscribe();
    signal?.throwIfAborted();
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
        this.tracked.delete(key);
        resolve(event);
      };
      const aborted = () => {
        cleanup();
        reject(signal?.reason);
      };
      set.add(done);
      signal?.addEventListener('abort', aborted);
      if (fast) return;
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
          this.generation++;
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
      .then(
        (unlisten) => {
          this.live = true;
          return unlisten;
        },
        (error: unknown) => {
          this.subscribed = undefined;
          throw error;
        },
      );
    return this.subscribed;
  }

  private delivered(payload: string): void {
    const colon = payload.indexOf(':');
    const length = Number(payload.slice(0, colon));
    if (colon <= 0 || !Number.isSafeInteger(length)) return;
    const key = payload.slice(colon + 1, colon + 1 + length);
    const set = this.waiters.get(key);
    if (!set) {
      // Nobody waits yet: keep a tracked task's outcome for its wait.
      const known = this.tracked.get(key);
      if (known) known.text = payload.slice(colon + 1 + length);
      return;
    }
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
