import type { RedisConnection } from '@agentsocket/redis';

/** Told of each message on its channel, and of every reconnect (messages may have been missed). */
export interface ChannelListener {
  message(payload: string): void;
  resync(): void;
}

/**
 * One subscriber connection shared by every watcher of a store: channels are subscribed while
 * someone listens, and subscribed again after each reconnect (then listeners resync from the
 * stream, since pub/sub keeps nothing for a subscriber that was away).
 */
export class Subscriber {
  private readonly connection: RedisConnection;
  private readonly listeners = new Map<string, Set<ChannelListener>>();
  // Each channel's SUBSCRIBE, so a second listener also waits until it is in place.
  private readonly subscribed = new Map<string, Promise<unknown>>();

  constructor(connection: RedisConnection) {
    this.connection = connection;
    connection.client.on('message', (channel: string, payload: string) => {
      for (const l of this.listeners.get(channel) ?? []) l.message(payload);
    });
    connection.onReady(async () => {
      const channels = [...this.listeners.keys()];
      if (channels.length > 0) await connection.client.subscribe(...channels);
      for (const set of this.listeners.values()) for (const l of set) l.resync();
    });
  }

  /** Resolves once the subscription is in place; messages published after that reach `listener`. */
  async listen(channel: string, listener: ChannelListener): Promise<() => void> {
    const set = this.listeners.get(channel) ?? new Set();
    set.add(listener);
    this.listeners.set(channel, set);
    let done = this.subscribed.get(channel);
    if (done === undefined) {
      done = this.connection.whenReady().then(() => this.connection.client.subscribe(channel));
      this.subscribed.set(channel, done);
      done.catch(() => this.subscribed.delete(channel));
    }
    try {
      await done;
    } catch (error) {
      set.delete(listener);
      throw error;
    }
    return () => {
      const current = this.listeners.get(channel);
      if (!current?.delete(listener) || current.size > 0) return;
      this.listeners.delete(channel);
      this.subscribed.delete(channel);
      if (this.connection.isReady) void this.connection.client.unsubscribe(channel).catch(() => {});
    };
  }

  async close(): Promise<void> {
    this.listeners.clear();
    await this.connection.close();
  }
}
