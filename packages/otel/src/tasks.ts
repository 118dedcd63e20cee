import { context, type Counter, type Histogram, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { ATTR, METRIC, SPAN } from './names.js';
import { errorCode, errorMessage, type Instruments } from './telemetry.js';
import { contextFromTraceparent, formatTraceparent } from './traceparent.js';

/** What submitTask needs of a TaskClient (@agentsocket/tasks): structural, so this package does not depend on it. */
export interface TaskSubmitter<S extends TaskSpecLike, R extends { id: string; created?: boolean }> {
  submit(spec: S): Promise<R>;
}

/** The fields of a TaskSpec this package reads and sets. */
export interface TaskSpecLike {
  tool: string;
  traceparent?: string;
}

/** A TaskWorker's `onEvent` events (WorkerEvent of @agentsocket/tasks), as far as metrics read them. */
export type TaskWorkerEvent =
  | { type: 'leased'; taskId: string; tool: string; redelivered: boolean }
  | { type: 'settled'; taskId: string; tool: string; outcome: string; durationMs: number }
  | { type: 'error'; taskId: string; error: Error };

/** What observeQueue reads: a TaskQueue's `depth` (@agentsocket/tasks). */
export interface DepthSource {
  depth(tool: string): Promise<{ waiting: number; leased: number | undefined }>;
}

/** The tools whose queues to read: a list, or a function read at each collection (e.g. the capabilities registered so far). */
export type ToolList = readonly string[] | (() => Promise<readonly string[]>);

/** Task metrics and the submit span. */
export class TaskMetrics {
  private readonly submitted: Counter;
  private readonly settled: Counter;
  private readonly duration: Histogram;
  private readonly redeliveries: Counter;
  private readonly errors: Counter;
  private readonly queues = new Map<DepthSource, ToolList>();

  constructor(private readonly inst: Instruments) {
    const m = inst.meter;
    this.submitted = m.createCounter(METRIC.tasksSubmitted, { unit: '{task}', description: 'Tasks submitted, by tool and whether the submit created the task' });
    this.settled = m.createCounter(METRIC.tasksSettled, { unit: '{task}', description: 'Task attempts a worker finished, by tool and outcome' });
    this.duration = inst.duration(METRIC.taskDuration, 'Time a worker spent on one attempt of a task, from its lease to its outcome');
    this.redeliveries = m.createCounter(METRIC.taskRedeliveries, { unit: '{lease}', description: 'Leases delivered again after an earlier holder lost them (lease expired, consumer gone, released)' });
    this.errors = m.createCounter(METRIC.taskErrors, { unit: '{error}', description: 'Store or broker failures while a worker handled a task (its lease was given back)' });
    const depth = m.createObservableGauge(METRIC.queueDepth, { unit: '{task}', description: 'Queue entries per tool: waiting for a worker, or leased to one' });
    depth.addCallback(async (result) => {
      const lists = await Promise.allSettled([...this.queues].map(async ([queue, tools]) => ({ queue, tools: typeof tools === 'function' ? await tools() : tools })));
      const reads = lists.flatMap((l) => (l.status === 'fulfilled' ? l.value.tools.map(async (tool) => ({ tool, depth: await l.value.queue.depth(tool) })) : []));
      for (const r of await Promise.allSettled(reads)) {
        if (r.status !== 'fulfilled') continue; // the broker is down: no reading this time
        const { tool, depth: d } = r.value;
        result.observe(d.waiting, { [ATTR.tool]: tool, [ATTR.taskState]: 'waiting' });
        if (d.leased !== undefined) result.observe(d.leased, { [ATTR.tool]: tool, [ATTR.taskState]: 'leased' });
      }
    });
  }

  /**
   * Submits with a PRODUCER span (child of `spec.traceparent` when given, else of the active span)
   * whose traceparent goes into the task record, so the worker's run joins the trace.
   */
  async submit<S extends TaskSpecLike, R extends { id: string; created?: boolean }>(client: TaskSubmitter<S, R>, spec: S): Promise<R> {
    const parent = contextFromTraceparent(spec.traceparent, context.active());
    const span = this.inst.tracer.startSpan(SPAN.submit(spec.tool), { kind: SpanKind.PRODUCER, attributes: { [ATTR.tool]: spec.tool } }, parent);
    const own = formatTraceparent(span.spanContext());
    try {
      const result = await client.submit(own === undefined ? spec : { ...spec, traceparent: own });
      span.setAttribute(ATTR.taskId, result.id);
      if (result.created !== undefined) span.setAttribute(ATTR.created, result.created);
      this.submitted.add(1, { [ATTR.tool]: spec.tool, [ATTR.created]: result.created !== false });
      return result;
    } catch (error) {
      span.setAttribute(ATTR.errorCode, errorCode(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(error) });
      throw error;
    } finally {
      span.end();
    }
  }

  /** A TaskWorker's `onEvent`. */
  readonly onWorkerEvent = (event: TaskWorkerEvent): void => {
    switch (event.type) {
      case 'leased':
        if (event.redelivered) this.redeliveries.add(1, { [ATTR.tool]: event.tool });
        return;
      case 'settled': {
        const attributes = { [ATTR.tool]: event.tool, [ATTR.taskOutcome]: event.outcome };
        this.settled.add(1, attributes);
        this.duration.record(event.durationMs / 1000, attributes);
        return;
      }
      case 'error':
        this.errors.add(1);
        return;
    }
  };

  /** Reports `asp.tasks.queue.depth` of these tools at each collection, until the returned function is called. */
  observeQueue(queue: DepthSource, tools: ToolList): () => void {
    this.queues.set(queue, typeof tools === 'function' ? tools : [...tools]);
    return () => {
      this.queues.delete(queue);
    };
  }
}
