import { type Call, ErrorCode, type HubMember, INTERRUPT_GRACE_MS, type InvokeOptions, ProtocolError } from '@agentsocket/core';
import { CallTable, PendingCall } from '@agentsocket/core/internal';
import { unavailable } from './connection.js';
import { type BusMessage, carry, rebuild } from './hub-messages.js';

/** Sends a bus message to a hub instance; resolves with how many subscribers got it (0 = nobody listens). */
export type Publish = (instance: string, message: BusMessage) => Promise<number>;

type Answer = Extract<BusMessage, { type: 'chunk' | 'complete' | 'error' }>;

/** A routed call waiting for its answer from the instance that holds the agent. */
class Outgoing extends PendingCall {
  constructor(
    call: Call,
    readonly target: string,
  ) {
    super(call);
  }
}

/**
 * Calls this instance routed to agents held by other instances. Each has a request id; the
 * callee's instance streams chunks and one terminal answer back on this instance's channel.
 */
export class OutgoingCalls {
  private readonly self: string;
  private readonly publish: Publish;
  private readonly pending = new CallTable<number, Outgoing>();
  private nextRid = 1;

  constructor(self: string, publish: Publish) {
    this.self = self;
    this.publish = publish;
  }

  get size(): number {
    return this.pending.size;
  }

  /** Instances this instance waits on. */
  targets(): Set<string> {
    return new Set([...this.pending.values()].map((o) => o.target));
  }

  start(call: Call, target: string, ns: string, to: string, args: unknown, options: InvokeOptions): void {
    const rid = this.nextRid;
    this.nextRid = this.nextRid >= 0x7fffffff ? 1 : this.nextRid + 1;
    const signal = options.signal;
    const entry = new Outgoing(call, target);
    this.pending.add(rid, entry, options.timeoutMs);
    const request: BusMessage = { type: 'invoke', from: this.self, rid, ns, to, tool: call.tool, args, delivery: call.delivery };
    if (options.traceparent !== undefined) request.traceparent = options.traceparent;
    if (options.timeoutMs !== undefined) request.timeoutMs = options.timeoutMs;
    if (options.messageId !== undefined) request.messageId = call.messageId;
    if (options.metrics) request.metrics = true;
    this.publish(target, request).then(
      (receivers) => {
        // The answer can arrive (on the subscriber connection) before PUBLISH's own reply.
        if (call.isSettled) return;
        if (receivers === 0) this.settle(rid, unavailable(`the node holding agent "${to}" is not reachable`));
        else if (signal) {
          this.pending.forwardAbort(rid, entry, signal, {
            interrupt: (reason) => this.publish(target, { type: 'interrupt', from: this.self, rid, reason }).catch(() => {}),
            graceMs: INTERRUPT_GRACE_MS,
            unanswered: 'interrupted; no terminal answer from the agent',
          });
        }
      },
      (error: unknown) => this.settle(rid, unavailable(`Redis is unreachable: could not route the call to "${to}"`, error)),
    );
  }

  /** A chunk or terminal answer arrived. */
  answer(m: Answer): void {
    const o = this.pending.get(m.rid);
    if (!o) {
      // Settled here already (timeout, outage): tell the callee's node to stop streaming.
      if (m.type === 'chunk') this.publish(m.from, { type: 'interrupt', from: this.self, rid: m.rid, reason: 'the caller is gone' }).catch(() => {});
      return;
    }
    if (o.target !== m.from) return;
    switch (m.type) {
      case 'chunk':
        this.pending.chunk(m.rid, m.seq, m.data);
        return;
      case 'complete':
        this.pending.complete(m.rid, m.value, m.metrics);
        return;
      case 'error':
        this.pending.fail(m.rid, rebuild(m.error));
        return;
    }
  }

  /** Fails every call waiting on one of `instances` (or on any, without a filter). */
  failAll(error: Error, instances?: Set<string>): void {
    this.pending.failAll(error, (o) => !instances || instances.has(o.target));
  }

  private settle(rid: number, error: Error): void {
    this.pending.fail(rid, error);
  }
}

interface Served {
  abort: AbortController;
  caller: string;
}

/**
 * Calls other instances routed to agents held here: run on the local member, answers published
 * back to the caller's instance. A caller that stops listening (its node died or lost Redis)
 * interrupts the call here.
 */
export class ServedCalls {
  private readonly self: string;
  private readonly publish: Publish;
  private readonly whenReady: () => Promise<void>;
  private readonly served = new Map<string, Served>();

  constructor(self: string, publish: Publish, whenReady: () => Promise<void>) {
    this.self = self;
    this.publish = publish;
    this.whenReady = whenReady;
  }

  /** Instances that wait on calls running here. */
  callers(): Set<string> {
    return new Set([...this.served.values()].map((s) => s.caller));
  }

  run(m: Extract<BusMessage, { type: 'invoke' }>, member: HubMember | undefined): void {
    if (!member) {
      this.terminal(m.from, { type: 'error', from: this.self, rid: m.rid, error: carry(new ProtocolError(ErrorCode.AGENT_NOT_FOUND, `no agent "${m.to}" in ${m.ns}`)) });
      return;
    }
    const key = `${m.from}\n${m.rid}`;
    const abort = new AbortController();
    this.served.set(key, { abort, caller: m.from });
    const options: InvokeOptions = { signal: abort.signal, delivery: m.delivery };
    if (m.traceparent !== undefined) options.traceparent = m.traceparent;
    if (m.timeoutMs !== undefined) options.timeoutMs = m.timeoutMs;
    if (m.messageId !== undefined) options.messageId = m.messageId;
    if (m.metrics) options.metrics = true;
    const inner = member.invoke(m.tool, m.args, options);
    const stop = (reason: string) => abort.abort(new ProtocolError(ErrorCode.INTERRUPTED, reason));
    void (async () => {
      let seq = 0;
      try {
        for await (const data of inner) {
          this.publish(m.from, { type: 'chunk', from: this.self, rid: m.rid, seq: seq++, data }).then(
            (receivers) => receivers === 0 && stop('the caller stopped listening'),
            () => stop('Redis is unreachable'),
          );
        }
        const r = await inner.result;
        this.terminal(m.from, { type: 'complete', from: this.self, rid: m.rid, value: r.value, metrics: r.metrics });
      } catch (error) {
        this.terminal(m.from, { type: 'error', from: this.self, rid: m.rid, error: carry(error) });
      } finally {
        this.served.delete(key);
      }
    })();
  }

  interrupt(m: Extract<BusMessage, { type: 'interrupt' }>): void {
    this.served.get(`${m.from}\n${m.rid}`)?.abort.abort(new ProtocolError(ErrorCode.INTERRUPTED, m.reason));
  }

  /** Interrupts every call for one of `callers` (or all, without a filter). */
  abortAll(reason: string, callers?: Set<string>): void {
    for (const s of this.served.values()) {
      if (!callers || callers.has(s.caller)) s.abort.abort(new ProtocolError(ErrorCode.INTERRUPTED, reason));
    }
  }

  /** Publishes a terminal answer; if Redis was away, once more when it is back (the caller may still wait). */
  private terminal(caller: string, message: BusMessage): void {
    this.publish(caller, message).catch(() =>
      this.whenReady().then(
        () => this.publish(caller, message).catch(() => {}),
        () => {},
      ),
    );
  }
}
