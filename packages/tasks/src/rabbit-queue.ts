import { backoffDelay, sleep } from '@agentsocket/core/internal';
import { type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage, connect, type RecoveringChannelModel } from 'amqplib';
import { DEFAULTS } from './defaults.js';
import { decodeEntry, encodeEntry } from './entry.js';
import { TaskError } from './errors.js';
import type { ConsumeOptions, Consumer, Lease, QueueCapabilities, QueueDepth, TaskQueue } from './queue.js';
import type { Priority, QueueEntry } from './task.js';

export interface RabbitQueueInit {
  /** The broker. @default 'amqp://guest:guest@127.0.0.1:5672' */
  url?: string;
  /** Prefix of every queue name. @default 'asp.tasks.' */
  prefix?: string;
  /** How long a push waits for an unreachable broker before failing with 503. @default 1000 */
  offlineWaitMs?: number;
  /**
   * Only how often holders renew (a no-op here): RabbitMQ takes a lease back when its channel
   * or connection closes, or after the broker's consumer_timeout (see docs/tasks.md). @default 10000
   */
  leaseMs?: number;
  /** Extra arguments for each queue declared (x-delivery-limit, ...). @default {} */
  queueArguments?: Record<string, unknown>;
}

// AMQP 0-9-1 priorities: RabbitMQ 4's quorum queues treat above 4 as high; 3.x quorum queues ignore them.
const AMQP_PRIORITY: Record<Priority, number> = { high: 9, normal: 4, low: 0 };

interface Handle {
  readonly consumer: RabbitConsumer;
  readonly channel: Channel;
  readonly message: ConsumeMessage;
}

function isHandle(value: unknown): value is Handle {
  return typeof value === 'object' && value !== null && 'consumer' in value && value.consumer instanceof RabbitConsumer;
}

function unavailable(message: string, cause?: unknown): TaskError {
  return new TaskError('UNAVAILABLE', message, cause === undefined ? undefined : { cause });
}

/**
 * The queue on RabbitMQ: one durable quorum queue per tool, persistent messages published on a
 * confirm channel (rule 1), consumers with manual acks and a prefetch (rule 3). A consumer's
 * leases are its channel's unacked deliveries: the broker requeues them when the channel or the
 * connection goes (rule 4). The connection recovers by itself (amqplib's recovery, with core's
 * backoff) and consumers are set up again on each reconnect.
 */
export class RabbitQueue implements TaskQueue {
  readonly capabilities: QueueCapabilities = { leaseExpiry: false, priorities: false };
  readonly leaseMs: number;
  readonly prefix: string;
  private readonly init: RabbitQueueInit;
  private readonly consumers = new Set<RabbitConsumer>();
  private connection: Promise<RecoveringChannelModel> | undefined;
  private publisher: ConfirmChannel | undefined;
  private declared = new Set<string>();
  private waiters: Array<() => void> = [];
  private connected = false;
  private closed = false;

  constructor(init: RabbitQueueInit = {}) {
    this.init = init;
    this.leaseMs = init.leaseMs ?? DEFAULTS.leaseMs;
    this.prefix = init.prefix ?? 'asp.tasks.';
  }

  queueName(tool: string): string {
    return `${this.prefix}${tool}`;
  }

  private connect(): Promise<RecoveringChannelModel> {
    this.connection ??= connect(this.init.url ?? 'amqp://guest:guest@127.0.0.1:5672', {
      recovery: {
        waitForConnect: false,
        calculateDelay: (attempt: number) => backoffDelay(attempt - 1, { initialMs: 100, maxMs: 2000 }),
        setup: (model: ChannelModel) => this.setup(model),
      },
    }).then((model) => {
      model.on('disconnect', () => {
        this.connected = false;
        this.publisher = undefined;
      });
      // Recovery reports failures through events; the operations waiting on it say 503.
      model.on('error', () => {});
      return model;
    });
    return this.connection;
  }

  private async openPublisher(model: Pick<ChannelModel, 'createConfirmChannel'>): Promise<ConfirmChannel> {
    const publisher = await model.createConfirmChannel();
    publisher.on('error', () => {});
    publisher.on('close', () => {
      if (this.publisher === publisher) this.publisher = undefined;
    });
    this.declared = new Set();
    this.publisher = publisher;
    return publisher;
  }

  /** After every (re)connect: every consumer again, then a fresh confirm channel. */
  private async setup(model: ChannelModel): Promise<void> {
    // The recovering wrapper reconnects; the connection under it must not throw its close as an error.
    model.on('error', () => {});
    this.connected = true;
    for (const c of this.consumers) await c.attach(model);
    await this.openPublisher(model);
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private async channel(wait: number): Promise<ConfirmChannel> {
    if (this.closed) throw unavailable('the RabbitMQ queue is closed');
    const model = await this.connect();
    if (this.publisher) return this.publisher;
    // The connection is up but its publisher channel closed: open another.
    if (this.connected) {
      const replaced = await this.openPublisher(model).catch(() => undefined);
      if (replaced) return replaced;
    }
    await new Promise<void>((resolve, reject) => {
      const waiter = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(unavailable(`RabbitMQ is unreachable (waited ${wait} ms)`));
      }, wait);
      this.waiters.push(waiter);
    });
    if (!this.publisher) throw unavailable('RabbitMQ is unreachable');
    return this.publisher;
  }

  /** Declares the tool's quorum queue (once per connection). */
  async declare(channel: Channel, tool: string): Promise<string> {
    const name = this.queueName(tool);
    if (!this.declared.has(name)) {
      await channel.assertQueue(name, this.queueOptions());
      this.declared.add(name);
    }
    return name;
  }

  /**
   * Publishes and waits for the confirm. A channel that closes first (the connection dropped, or
   * RabbitMQ 3.x closed it while a new quorum queue was still starting) is replaced and the
   * publish tried again within offlineWaitMs: a second copy of an entry is harmless.
   */
  async push(entry: QueueEntry): Promise<void> {
    const budget = this.init.offlineWaitMs ?? DEFAULTS.offlineWaitMs;
    const deadline = Date.now() + budget;
    for (;;) {
      const channel = await this.channel(Math.max(0, deadline - Date.now()));
      try {
        const name = await this.declare(channel, entry.tool);
        await new Promise<void>((resolve, reject) => {
          channel.sendToQueue(
            name,
            Buffer.from(encodeEntry(entry)),
            { persistent: true, priority: AMQP_PRIORITY[entry.priority], messageId: entry.id, contentType: 'application/json' },
            (error: unknown) => (error ? reject(error) : resolve()),
          );
        });
        return;
      } catch (error) {
        if (this.publisher === channel) this.publisher = undefined;
        if (Date.now() >= deadline || this.closed) throw unavailable(`RabbitMQ did not confirm task ${entry.id}`, error);
      }
    }
  }

  async consume(tools: readonly string[], onLease: (lease: Lease) => void, options: ConsumeOptions): Promise<Consumer> {
    const consumer = new RabbitConsumer(this, tools, onLease, options);
    this.consumers.add(consumer);
    const model = await this.connect();
    // Set up now if connected; otherwise (or if the connection drops meanwhile) setup() attaches
    // it on the next connect. RabbitMQ 3.x may drop a connection that consumes from a quorum queue
    // another connection is still creating; recovery then sets everything up again.
    if (this.connected) await consumer.attach(model).catch(() => {});
    return consumer;
  }

  /** Every queue is declared with the same arguments (a mismatch would close the channel). */
  queueOptions(): { durable: true; arguments: Record<string, unknown> } {
    return { durable: true, arguments: { 'x-queue-type': 'quorum', ...this.init.queueArguments } };
  }

  forget(consumer: RabbitConsumer): void {
    this.consumers.delete(consumer);
  }

  async ack(lease: Lease): Promise<boolean> {
    const h = lease.handle;
    if (!isHandle(h)) throw new TypeError('not a lease of this queue');
    return h.consumer.settle(h, (ch) => ch.ack(h.message));
  }

  async release(lease: Lease): Promise<void> {
    const h = lease.handle;
    if (!isHandle(h)) throw new TypeError('not a lease of this queue');
    h.consumer.settle(h, (ch) => ch.nack(h.message, false, true));
  }

  async renew(): Promise<void> {}

  /** Ready messages from the broker's queue declaration; RabbitMQ does not report unacked ones over AMQP. */
  async depth(tool: string): Promise<QueueDepth> {
    const budget = this.init.offlineWaitMs ?? DEFAULTS.offlineWaitMs;
    const channel = await this.channel(budget);
    const name = await this.declare(channel, tool);
    const { messageCount } = await channel.checkQueue(name);
    return { waiting: messageCount, leased: undefined };
  }

  async close(): Promise<void> {
    this.closed = true;
    const connection = this.connection;
    this.connection = undefined;
    if (connection) await (await connection).close().catch(() => {});
  }
}

/** One consumer: a channel per connection with a prefetch, consuming each tool's queue. */
class RabbitConsumer implements Consumer {
  private readonly queue: RabbitQueue;
  private readonly tools: readonly string[];
  private readonly onLease: (lease: Lease) => void;
  private readonly options: ConsumeOptions;
  private channel: Channel | undefined;
  private held = 0;
  private stopped = false;

  constructor(queue: RabbitQueue, tools: readonly string[], onLease: (lease: Lease) => void, options: ConsumeOptions) {
    this.queue = queue;
    this.tools = tools;
    this.onLease = onLease;
    this.options = options;
  }

  async attach(model: Pick<ChannelModel, 'createChannel'>): Promise<void> {
    if (this.stopped) return;
    const channel = await model.createChannel();
    channel.on('error', () => {});
    channel.on('close', () => {
      if (this.channel === channel) this.channel = undefined;
    });
    await channel.prefetch(Math.max(1, this.options.prefetch));
    this.channel = channel;
    for (const tool of this.tools) {
      const name = this.queue.queueName(tool);
      await channel.assertQueue(name, this.queue.queueOptions());
      await channel.consume(name, (message) => this.deliver(channel, message), { noAck: false, consumerTag: `${this.options.name}.${tool}` });
    }
  }

  private deliver(channel: Channel, message: ConsumeMessage | null): void {
    if (message === null || this.stopped) return;
    let entry: QueueEntry;
    try {
      entry = decodeEntry(message.content.toString('utf8'));
    } catch {
      // Not ours to run, and never will be: drop it rather than redeliver it forever.
      channel.nack(message, false, false);
      return;
    }
    const count = message.properties.headers?.['x-delivery-count'];
    this.held++;
    this.onLease({ entry, handle: { consumer: this, channel, message }, deliveries: typeof count === 'number' ? count + 1 : 1, redelivered: message.fields.redelivered });
  }

  /** Acks or nacks on the lease's own channel; false once that channel is gone (rule 7). */
  settle(h: Handle, op: (channel: Channel) => void): boolean {
    this.held = Math.max(0, this.held - 1);
    let done = false;
    if (h.channel === this.channel) {
      try {
        op(h.channel);
        done = true;
      } catch {
        // The channel closed under us: the broker has already requeued the delivery.
      }
    }
    if (this.stopped && this.held === 0) void this.closeChannel();
    return done;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.queue.forget(this);
    const channel = this.channel;
    if (!channel) return;
    // Bounded: a channel whose connection just died may never answer.
    const cancels = this.tools.map((tool) => channel.cancel(`${this.options.name}.${tool}`).catch(() => {}));
    await Promise.race([Promise.all(cancels), sleep(2000)]);
    // Leases already handed out stay valid until settled; then the channel goes.
    if (this.held === 0) await this.closeChannel();
  }

  private async closeChannel(): Promise<void> {
    const channel = this.channel;
    this.channel = undefined;
    // Bounded: a channel whose connection just died may never answer.
    if (channel) await Promise.race([channel.close().catch(() => {}), sleep(2000)]);
  }
}
