import type { IncomingMessage, ServerResponse } from 'node:http';
import { AgentSocketTelemetry } from '@agentsocket/otel';
import type { RedisConnection } from '@agentsocket/redis';
import { RedisStreamsQueue } from '@agentsocket/tasks';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';

/** Where a node serves its metrics in the Prometheus text format. */
export const METRICS_PATH = '/metrics';

export interface NodeMetrics {
  /** Hooks and tool wrapping for the node's AgentServer and agent (spans go to the global TracerProvider). */
  readonly telemetry: AgentSocketTelemetry;
  /** Answers GET /metrics; false for any other path. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  close(): Promise<void>;
}

/**
 * A node's metrics: @agentsocket/otel's instruments on a MeterProvider of the node's own, read by
 * the OpenTelemetry Prometheus exporter at each scrape (no server of its own: the node's HTTP
 * server answers /metrics). Queue depth covers every tool a task worker registered under
 * `tasksPrefix`.
 */
export function nodeMetrics(connection: RedisConnection, tasksPrefix: string): NodeMetrics {
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const meterProvider = new MeterProvider({ readers: [exporter] });
  const telemetry = new AgentSocketTelemetry({ meterProvider });
  const queue = new RedisStreamsQueue({ connection, prefix: tasksPrefix });
  telemetry.observeQueue(queue, () => connection.client.hkeys(`${tasksPrefix}caps`));
  return {
    telemetry,
    handle(req, res) {
      if ((req.url ?? '/').split('?')[0] !== METRICS_PATH || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
      exporter.getMetricsRequestHandler(req, res);
      return true;
    },
    close: () => meterProvider.shutdown(),
  };
}
