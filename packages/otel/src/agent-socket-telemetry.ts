import type { AgentServer, AnyToolDefinition, ClientInstrumentation, ServerInstrumentation, ToolSet } from '@agentsocket/core';
import { clientInstrumentation } from './client.js';
import { ServerMetrics } from './server.js';
import { type DepthSource, TaskMetrics, type TaskSpecLike, type TaskSubmitter, type TaskWorkerEvent, type ToolList } from './tasks.js';
import { Instruments, type TelemetryOptions } from './telemetry.js';
import { instrumentDefinition, instrumentToolSet } from './tools.js';

/** This package's version, reported as the instrumentation scope's. */
const VERSION = '0.1.0';

/**
 * OpenTelemetry for Agent Socket, on `@opentelemetry/api` alone: bring your own SDK and exporter
 * (or none: everything is then a no-op of the API). One instance per process is typical; each
 * registers its instruments once.
 *
 * ```ts
 * const otel = new AgentSocketTelemetry();
 * const agent = defineAgent({ name: 'a', tools: otel.tools({ ... }) });      // spans + call metrics per tool
 * const server = new AgentServer(agent, { instrumentation: otel.server });   // connections, bytes
 * otel.observeServer(server);                                                 // sessions, resumes
 * const client = new AgentClient({ connect, instrumentation: otel.client });  // client spans, traceparent sent
 * ```
 */
export class AgentSocketTelemetry {
  private readonly inst: Instruments;
  private readonly serverMetrics: ServerMetrics;
  private readonly taskMetrics: TaskMetrics;
  /** AgentServerOptions.instrumentation: counts connections and frame bytes per transport. */
  readonly server: ServerInstrumentation;
  /** AgentClientOptions.instrumentation: a CLIENT span per call, its traceparent sent along, client call metrics. */
  readonly client: ClientInstrumentation;

  constructor(options: TelemetryOptions = {}) {
    this.inst = new Instruments(options, VERSION);
    this.serverMetrics = new ServerMetrics(this.inst);
    this.taskMetrics = new TaskMetrics(this.inst);
    this.server = this.serverMetrics.hooks;
    this.client = clientInstrumentation(this.inst);
  }

  /** Sessions held, new sessions, resumes and session ends of a server, until the returned function is called. */
  observeServer(server: AgentServer): () => void {
    return this.serverMetrics.observe(server);
  }

  /**
   * The same tools, each handler wrapped: a span per run (SERVER, or CONSUMER for a queued task),
   * child of the caller's traceparent and active while the handler runs, and `asp.tool.calls` /
   * `asp.tool.duration`. `ctx.traceparent` becomes the run's own span, so what the handler hands
   * it to continues the trace under it. Wrap where the agent is defined: the same agent then
   * reports over every transport, the MCP bridge and a TaskWorker alike.
   */
  tools<T extends ToolSet>(tools: T): T {
    return instrumentToolSet(tools, this.inst);
  }

  /** One tool, wrapped as `tools()` does (for `agent.addTool(name, otel.tool(name, definition))`). */
  tool<D extends AnyToolDefinition>(name: string, definition: D): D {
    return instrumentDefinition(name, definition, this.inst);
  }

  /**
   * `tasks.submit(spec)` inside a PRODUCER span (`asp.task.submit <tool>`) whose traceparent is
   * stored with the task, so the worker's run is its child; counts `asp.tasks.submitted`.
   */
  submitTask<S extends TaskSpecLike, R extends { id: string; created?: boolean }>(tasks: TaskSubmitter<S, R>, spec: S): Promise<R> {
    return this.taskMetrics.submit(tasks, spec);
  }

  /** TaskWorkerInit.onEvent: settled attempts, their durations, redelivered leases and store or broker errors. */
  get taskEvents(): (event: TaskWorkerEvent) => void {
    return this.taskMetrics.onWorkerEvent;
  }

  /**
   * Reports `asp.tasks.queue.depth` of a task queue (`queue.depth(tool)`) for these tools at each
   * metric collection (a function is called each time, e.g. to read the registered capabilities),
   * until the returned function is called. A broker that does not answer gives no reading.
   */
  observeQueue(queue: DepthSource, tools: ToolList): () => void {
    return this.taskMetrics.observeQueue(queue, tools);
  }
}
