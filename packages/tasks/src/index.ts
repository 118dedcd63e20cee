export { TaskClient, type TaskClientInit, type SubmitResult } from './client.js';
export { DEFAULTS } from './defaults.js';
export { TaskError, type TaskErrorReason } from './errors.js';
export type { ConsumeOptions, Consumer, Lease, QueueCapabilities, QueueDepth, TaskQueue } from './queue.js';
export { RabbitQueue, type RabbitQueueInit } from './rabbit-queue.js';
export { RedisStreamsQueue, type RedisStreamsQueueInit } from './redis-queue.js';
export { type NewTask, type Outcome, type Standing, type StartResult, TaskStore, type TaskStoreInit } from './store.js';
export {
  isTerminal,
  type Priority,
  PRIORITIES,
  type QueueEntry,
  type TaskEvent,
  type TaskFailure,
  type TaskRecord,
  type TaskSpec,
  type TaskState,
} from './task.js';
export { TaskWorker, type TaskWorkerInit, type WorkerEvent } from './worker.js';
