import { ErrorCode, ProtocolError } from '@agentsocket/core';
import { sleep } from '@agentsocket/core/internal';
import { isTransient } from '@agentsocket/redis/internal';
import { TaskError } from './errors.js';
import { parseEvent } from './record.js';
import { replyText } from './redis-replies.js';
import type { TaskStore } from './store.js';
import type { Subscriber } from './subscriber.js';
import { isTerminalEvent, type TaskEvent } from './task.js';

/** Stream ids "ms-seq" in order. */
function after(a: string, b: string): boolean {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am > bm || (am === bm && as > bs);
}

/**
 * A watcher: subscribes to the task's channel first, then reads the stream from the start, then
 * takes live messages newer than the last id it gave out. After a reconnect of the subscriber it
 * reads the stream again from that id, so nothing published while it was away is missed.
 */
export async function* watchEvents(store: TaskStore, sub: Subscriber, id: string, signal?: AbortSignal): AsyncGenerator<TaskEvent, void, undefined> {
  const key = store.key.events(id);
  const live: Array<{ id: string; text: string }> = [];
  let resync = true;
  let wake: (() => void) | undefined;
  const poke = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const unlisten = await sub.listen(key, {
    message(payload) {
      const space = payload.indexOf(' ');
      if (space > 0) live.push({ id: payload.slice(0, space), text: payload.slice(space + 1) });
      poke();
    },
    resync() {
      resync = true;
      poke();
    },
  });
  signal?.addEventListener('abort', poke);
  try {
    let last = '0-0';
    for (;;) {
      signal?.throwIfAborted();
      if (resync) {
        resync = false;
        const client = store.connection.client;
        let entries: unknown;
        try {
          if (!store.connection.isReady) await store.connection.whenReady();
          entries = await client.xrange(key, last === '0-0' ? '-' : `(${last}`, '+');
        } catch (error) {
          // Redis is away: a watcher waits for it (the subscriber resyncs it on reconnect).
          if (!isTransient(error) && !(error instanceof ProtocolError && error.code === ErrorCode.UNAVAILABLE)) throw error;
          resync = true;
          await sleep(200, signal);
          continue;
        }
        if (!Array.isArray(entries)) throw new TypeError('unexpected XRANGE reply');
        if (entries.length === 0 && last === '0-0' && (await client.exists(store.key.record(id))) === 0) {
          throw new TaskError('NOT_FOUND', `no task ${id} (never submitted, or its result expired)`);
        }
        for (const entry of entries) {
          if (!Array.isArray(entry) || !Array.isArray(entry[1])) continue;
          last = replyText(entry[0], 'XRANGE');
          const event = parseEvent(replyText(entry[1][1], 'XRANGE'));
          yield event;
          if (isTerminalEvent(event)) return;
        }
        continue;
      }
      const next = live.shift();
      if (next) {
        if (!after(next.id, last)) continue;
        last = next.id;
        const event = parseEvent(next.text);
        yield event;
        if (isTerminalEvent(event)) return;
        continue;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    signal?.removeEventListener('abort', poke);
    unlisten();
  }
}
