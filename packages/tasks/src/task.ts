/** What an orchestrator submits, what the store keeps, and what a watcher sees. */

/** Higher levels are claimed first (see docs/tasks.md for what each backend guarantees). */
export type Priority = 'high' | 'normal' | 'low';
export const PRIORITIES: readonly Priority[] = ['high', 'normal', 'low'];

export function isPriority(value: unknown): value is Priority {
  return value === 'high' || value === 'normal' || value === 'low';
}

export interface TaskSpec {
  /** The capability: the name of a tool some worker agent serves. */
  tool: string;
  /** The tool's arguments; JSON values only (they are stored as JSON). @default {} */
  args?: unknown;
  /** @default 'normal' */
  priority?: Priority;
  /** Epoch ms after which the task must not start; past at submit = an error. */
  deadline?: number;
  /**
   * Submits with the same key are one task, and its side effect runs once (the worker's dedup
   * store is keyed by it). @default the task id (every submit is a new task)
   */
  idempotencyKey?: string;
  /** Starts allowed before the task goes to the dead letters. @default 3 (defaults.ts) */
  maxAttempts?: number;
  /** How long the record, result and events are kept once the task ended, in ms. @default 86400000 */
  resultTtlMs?: number;
  /** W3C trace context handed to the tool handler as ctx.traceparent. */
  traceparent?: string;
}

export type TaskState = 'queued' | 'running' | 'retrying' | 'succeeded' | 'failed' | 'cancelled';

export function isTerminal(state: TaskState): boolean {
  return state === 'succeeded' || state === 'failed' || state === 'cancelled';
}

/** Why a task failed, as stored and as a watcher sees it. `code` is an ASP wire error code. */
export interface TaskFailure {
  code: number;
  message: string;
}

export interface TaskRecord {
  id: string;
  tool: string;
  args: unknown;
  priority: Priority;
  state: TaskState;
  idempotencyKey: string;
  /** Starts so far (a redelivery after a lost lease counts). */
  attempts: number;
  maxAttempts: number;
  deadline: number | undefined;
  /** How long the record is kept once the task ended. */
  resultTtlMs: number;
  traceparent: string | undefined;
  /** The worker that started it last. */
  worker: string | undefined;
  result: unknown;
  error: TaskFailure | undefined;
  /** In the dead-letter list. */
  dead: boolean;
  createdAt: number;
  updatedAt: number;
}

/** One entry of a task's event log, in order; the log ends with a terminal event. */
export type TaskEvent =
  | { type: 'queued'; at: number }
  | { type: 'claimed'; at: number; worker: string; attempt: number }
  | { type: 'progress'; at: number; data: unknown }
  | { type: 'retrying'; at: number; attempt: number; delayMs: number; error: TaskFailure }
  | { type: 'succeeded'; at: number; result: unknown }
  | { type: 'failed'; at: number; error: TaskFailure; dead: boolean }
  | { type: 'cancelled'; at: number };

export function isTerminalEvent(event: TaskEvent): boolean {
  return event.type === 'succeeded' || event.type === 'failed' || event.type === 'cancelled';
}

/** What a queue carries: enough to route and to find the record. */
export interface QueueEntry {
  readonly id: string;
  readonly tool: string;
  readonly priority: Priority;
  /**
   * The task's idempotency key, when the pusher knew it: the worker then claims the key in its
   * dedup store while it starts the task, instead of after.
   */
  readonly key?: string;
}
