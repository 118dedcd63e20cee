import { AgentSocketError } from '@agentsocket/core';
import type { RedisConnection } from '@agentsocket/redis';
import { wrapUnavailable } from './errors.js';
import { decodeEvent, type PresenceEvent, type PresenceEventType } from './events.js';

export interface SubscribeOptions {
  /** Only agent events of this namespace (`node` and `resync` events always pass). */
  ns?: string;
  /** Only these event types. @default all */
  types?: readonly PresenceEventType[];
}

interface Listener {
  fn: (event: PresenceEvent) => void;
  options: SubscribeOptions;
}

/**
 * The registry's events channel as listeners see it: one pub/sub connection (made on the first
 * subscribe unless given), decoding, filtering, and `resync` when the connection comes back.
 */
export class EventFeed {
  private readonly cmd: RedisConnection;
  private sub: RedisConnection | undefined;
  private readonly ownsSub: boolean;
  private readonly channel: string;
  private readonly report: (error: unknown) => void;
  private readonly listeners = new Set<Listener>();
  private readonly removers: Array<() => void> = [];
  private subscribing: Promise<void> | undefined;
  private subscribedOnce = false;
  /** Event texts that came while a resubscription after an outage was pending (sent after `resync`). */
  private held: string[] | undefined;
  private closed = false;

  constructor(cmd: RedisConnection, sub: RedisConnection | undefined, channel: string, report: (error: unknown) => void) {
    this.cmd = cmd;
    this.sub = sub;
    this.ownsSub = sub === undefined;
    this.channel = channel;
    this.report = report;
  }

  async subscribe(listener: (event: PresenceEvent) => void, options: SubscribeOptions = {}): Promise<() => void> {
    const entry: Listener = { fn: listener, options };
    this.listeners.add(entry);
    try {
      await this.ensureSubscribed();
    } catch (error) {
      this.listeners.delete(entry);
      throw error;
    }
    return () => {
      this.listeners.delete(entry);
    };
  }

  async *events(options: SubscribeOptions & { signal?: AbortSignal } = {}): AsyncGenerator<PresenceEvent, void, undefined> {
    const queue: PresenceEvent[] = [];
    let wake: (() => void) | undefined;
    const unsubscribe = await this.subscribe((e) => {
      queue.push(e);
      wake?.();
    }, options);
    const onAbort = () => wake?.();
    options.signal?.addEventListener('abort', onAbort);
    try {
      while (!options.signal?.aborted && !this.closed) {
        const next = queue.shift();
        if (next) {
          yield next;
          continue;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      unsubscribe();
    }
  }

  /** Tells every listener `resync` (the registry is gone), then drops them and the connection. */
  async close(abrupt: boolean): Promise<void> {
    this.closed = true;
    for (const remove of this.removers) remove();
    this.emit({ type: 'resync', at: Date.now() });
    this.listeners.clear();
    if (this.sub && this.ownsSub) {
      if (abrupt) this.sub.abandon();
      else await this.sub.close();
    }
  }

  private ensureSubscribed(): Promise<void> {
    if (this.closed) return Promise.reject(new AgentSocketError('SESSION_CLOSED', 'the registry is closed'));
    this.subscribing ??= (async () => {
      this.sub ??= this.cmd.duplicate();
      const sub = this.sub;
      sub.client.on('message', (ch: unknown, text: unknown) => {
        if (ch === this.channel && typeof text === 'string') this.dispatch(text);
      });
      this.removers.push(
        sub.onReady(async () => {
          if (!this.subscribedOnce) {
            await sub.client.subscribe(this.channel);
            this.subscribedOnce = true;
            return;
          }
          // Back after an outage: what was published meanwhile is lost, so listeners re-read. Events
          // that arrive with the subscription's reply wait until `resync` is out, so a listener sees
          // `resync` first and everything published after the subscription took effect after it.
          this.held = [];
          try {
            await sub.client.subscribe(this.channel);
          } finally {
            const held = this.held;
            this.held = undefined;
            this.emit({ type: 'resync', at: Date.now() });
            for (const text of held) this.dispatch(text);
          }
        }),
      );
      if (sub.isReady) {
        await sub.client.subscribe(this.channel);
        this.subscribedOnce = true;
      } else await sub.whenReady(10_000);
    })().catch((error: unknown) => {
      this.subscribing = undefined;
      throw wrapUnavailable(error);
    });
    return this.subscribing;
  }

  private dispatch(text: string): void {
    if (this.held) {
      this.held.push(text);
      return;
    }
    const event = decodeEvent(text);
    if (!event) {
      this.report(new Error(`malformed registry event dropped: ${text.slice(0, 200)}`));
      return;
    }
    this.emit(event);
  }

  private emit(event: PresenceEvent): void {
    for (const l of this.listeners) {
      const { ns, types } = l.options;
      if (types && !types.includes(event.type)) continue;
      if (ns !== undefined && 'agent' in event && event.agent.ns !== ns) continue;
      try {
        l.fn(event);
      } catch (error) {
        this.report(error);
      }
    }
  }
}
