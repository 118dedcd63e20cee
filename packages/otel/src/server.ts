import type { AgentServer, ServerInstrumentation, SessionInfo } from '@agentsocket/core';
import type { Counter, ObservableResult } from '@opentelemetry/api';
import { CountingTransport, type TransportTotals } from './counting-transport.js';
import { ATTR, METRIC } from './names.js';
import { errorCode, type Instruments } from './telemetry.js';

/**
 * Server metrics: connections and bytes through the `instrumentation.connection` hook (per
 * transport kind), sessions and resumes through an AgentServer's events. The observable
 * instruments are registered once and read totals kept as plain numbers, so a frame costs one
 * addition.
 */
export class ServerMetrics {
  readonly hooks: ServerInstrumentation;
  private readonly totals = new Map<string, TransportTotals>();
  private readonly servers = new Set<AgentServer>();
  private readonly opened: Counter;
  private readonly started: Counter;
  private readonly resumed: Counter;
  private readonly ended: Counter;

  constructor(inst: Instruments) {
    const m = inst.meter;
    this.opened = m.createCounter(METRIC.connectionsOpened, { unit: '{connection}', description: 'Connections accepted, before their handshake' });
    this.started = m.createCounter(METRIC.sessionsStarted, { unit: '{session}', description: 'New sessions (handshakes that did not resume)' });
    this.resumed = m.createCounter(METRIC.resumes, { unit: '{session}', description: 'Sessions resumed on a new connection' });
    this.ended = m.createCounter(METRIC.sessionsEnded, { unit: '{session}', description: 'Sessions that ended, by the wire or local code of why' });
    const active = m.createObservableUpDownCounter(METRIC.connectionsActive, { unit: '{connection}', description: 'Connections open now' });
    const received = m.createObservableCounter(METRIC.bytesReceived, { unit: 'By', description: 'ASP frame bytes received (headers and payloads)' });
    const sent = m.createObservableCounter(METRIC.bytesSent, { unit: 'By', description: 'ASP frame bytes sent (headers and payloads)' });
    const sessions = m.createObservableGauge(METRIC.sessions, { unit: '{session}', description: 'Sessions held, connected or waiting to be resumed' });
    m.addBatchObservableCallback(
      (result) => {
        for (const [transport, t] of this.totals) {
          const attributes = { [ATTR.transport]: transport };
          result.observe(active, t.active, attributes);
          result.observe(received, t.received, attributes);
          result.observe(sent, t.sent, attributes);
        }
      },
      [active, received, sent],
    );
    sessions.addCallback((result: ObservableResult) => {
      for (const s of this.servers) result.observe(s.sessionCount, { [ATTR.agent]: s.agent.name, [ATTR.node]: s.nodeId });
    });
    this.hooks = {
      connection: (transport, info) => {
        const kind = info.transport;
        let t = this.totals.get(kind);
        if (!t) {
          t = { received: 0, sent: 0, active: 0 };
          this.totals.set(kind, t);
        }
        this.opened.add(1, { [ATTR.transport]: kind });
        return new CountingTransport(transport, t);
      },
    };
  }

  /** Counts the server's sessions, resumes and session ends until the returned function is called. */
  observe(server: AgentServer): () => void {
    const attributes = { [ATTR.agent]: server.agent.name, [ATTR.node]: server.nodeId };
    const onSession = () => this.started.add(1, attributes);
    const onResume = () => this.resumed.add(1, attributes);
    const onEnd = (_info: SessionInfo, error: Error) => this.ended.add(1, { ...attributes, [ATTR.errorCode]: errorCode(error) });
    const off = [server.on('session', onSession), server.on('resume', onResume), server.on('sessionEnd', onEnd)];
    this.servers.add(server);
    return () => {
      for (const f of off) f();
      this.servers.delete(server);
    };
  }
}
