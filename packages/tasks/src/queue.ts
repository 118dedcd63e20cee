import type { QueueEntry } from './task.js';

/**
 * The queue seam: a durable, leased hand-off of task ids from orchestrators to workers. The
 * queue knows nothing of task state, results or retries (the TaskStore keeps those); it only
 * guarantees that an entry pushed reaches a worker, again and again, until a worker acks it.
 *
 * Rules (each one a test in test/queue-suite.ts, run against every backend):
 *
 * 1. `push` resolves only once the broker has stored the entry durably (Redis: the XADD reply,
 *    on an AOF-enabled server; RabbitMQ: the publisher confirm of a persistent message on a
 *    quorum queue). While the broker is unreachable it rejects with a TaskError 'UNAVAILABLE'
 *    (503) after waiting at most `offlineWaitMs`; it never resolves for an entry not stored.
 * 2. Every entry pushed is delivered to a consumer of its tool, at least once, until acked.
 *    Entries pushed before any consumer exists are kept and delivered later.
 * 3. A consumer holds at most `prefetch` unacked leases of entries of one priority level at a
 *    time (the Redis backend may hand one batch per level at once; see docs/tasks.md).
 * 4. A lease whose consumer goes away (closed, connection lost, process killed) is delivered
 *    again, to another consumer if one is there.
 * 5. A lease not renewed for `leaseMs` is delivered again (`capabilities.leaseExpiry`; RabbitMQ
 *    leaves this to the broker's consumer_timeout).
 * 6. Among waiting entries, higher priorities are delivered first (`capabilities.priorities`).
 * 7. `ack` removes the entry only while this lease is still the one the broker holds for it and
 *    returns true; a lease that was handed to another consumer is not acked (false), so the new
 *    holder's delivery stays safe.
 * 8. A released lease is delivered again (RabbitMQ: at once; Redis: once it lapses as in rule 5).
 * 9. After `stop()` resolves the consumer receives nothing more; its unacked leases go back as
 *    in rule 4 (Redis: once they lapse as in rule 5).
 */
export interface TaskQueue {
  readonly capabilities: QueueCapabilities;
  /** How long a lease lasts unrenewed; holders renew it every third of this. */
  readonly leaseMs: number;
  push(entry: QueueEntry): Promise<void>;
  consume(tools: readonly string[], onLease: (lease: Lease) => void, options: ConsumeOptions): Promise<Consumer>;
  ack(lease: Lease): Promise<boolean>;
  /** Gives the entry back without finishing it (the holder is closing or could not reach the store). */
  release(lease: Lease): Promise<void>;
  /** Tells the broker the lease's holder is alive (resets its lease time). */
  renew(lease: Lease): Promise<void>;
  /** How many entries of `tool` (all priorities) wait for a consumer and how many are leased now, for metrics. */
  depth(tool: string): Promise<QueueDepth>;
  close(): Promise<void>;
}

export interface QueueCapabilities {
  /** Rule 5 holds with the configured leaseMs. */
  leaseExpiry: boolean;
  /** Rule 6 holds strictly. */
  priorities: boolean;
}

export interface QueueDepth {
  /** Entries pushed and not yet delivered (or delivered again and waiting). */
  readonly waiting: number;
  /** Entries delivered and not yet acked; undefined when the broker does not tell (RabbitMQ). */
  readonly leased: number | undefined;
}

export interface ConsumeOptions {
  /** Most unacked leases at a time (rule 3). */
  prefetch: number;
  /** This consumer's name (for the broker's bookkeeping). */
  name: string;
}

export interface Consumer {
  stop(): Promise<void>;
}

/** One delivery of one entry. `handle` is the backend's own (a stream entry id, a delivery tag). */
export interface Lease {
  readonly entry: QueueEntry;
  readonly handle: unknown;
  /** How many times the broker delivered this entry, counting this one, when it knows. */
  readonly deliveries: number | undefined;
  /**
   * Delivered before to a holder that did not ack it: its lease expired (Redis: not renewed for
   * `leaseMs`, which is also how a released one comes back), or (RabbitMQ) its consumer went away
   * or released it.
   */
  readonly redelivered?: boolean;
}
