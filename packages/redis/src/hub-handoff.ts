import type { BusMessage } from './hub-messages.js';
import type { Publish } from './remote-calls.js';

/**
 * When a node takes over a session that a live node still holds (the client moved), it asks the
 * old node to store what it journaled for that session first: every message the old node
 * accepted before the takeover is then in the state the new node restores. The hand-off rides
 * the old node's channel after the deliveries routed to it, so it is handled after them.
 */
export class Handoffs {
  private readonly self: string;
  private readonly publish: Publish;
  private readonly timeoutMs: number;
  private readonly store: ((sessionId: string) => Promise<void>) | undefined;
  private readonly waiting = new Map<number, () => void>();
  private nextRid = 1;

  constructor(self: string, publish: Publish, timeoutMs: number, store: ((sessionId: string) => Promise<void>) | undefined) {
    this.self = self;
    this.publish = publish;
    this.timeoutMs = timeoutMs;
    this.store = store;
  }

  /** Resolves once `from` stored its writes for `sessionId`, nobody listens there, or after the timeout. */
  async request(from: string, sessionId: string): Promise<void> {
    const rid = this.nextRid++;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const handed = new Promise<void>((resolve) => {
      this.waiting.set(rid, resolve);
      timer = setTimeout(resolve, this.timeoutMs);
    });
    try {
      const receivers = await this.publish(from, { type: 'handoff', from: this.self, rid, sessionId });
      if (receivers > 0) await handed;
    } catch {
      // Redis is away: the claim that follows fails visibly instead.
    } finally {
      clearTimeout(timer);
      this.waiting.delete(rid);
    }
  }

  handed(m: Extract<BusMessage, { type: 'handed' }>): void {
    this.waiting.get(m.rid)?.();
  }

  serve(m: Extract<BusMessage, { type: 'handoff' }>): void {
    const stored = this.store?.(m.sessionId) ?? Promise.resolve();
    stored
      .catch(() => {})
      .then(() => this.publish(m.from, { type: 'handed', from: this.self, rid: m.rid }))
      .catch(() => {});
  }
}
