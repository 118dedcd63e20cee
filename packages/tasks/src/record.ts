import { expectRecord, str, uint, WireShapeError } from '@agentsocket/core/internal';
import { isPriority, type TaskEvent, type TaskFailure, type TaskRecord, type TaskState } from './task.js';

const STATES: readonly TaskState[] = ['queued', 'running', 'retrying', 'succeeded', 'failed', 'cancelled'];

function isState(value: unknown): value is TaskState {
  return typeof value === 'string' && (STATES as readonly string[]).includes(value);
}

function json(text: string | undefined): unknown {
  return text === undefined || text === '' ? undefined : JSON.parse(text);
}

function int(text: string | undefined, what: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new WireShapeError(`task record.${what} must be an integer`);
  return n;
}

export function failure(value: unknown, what: string): TaskFailure {
  const r = expectRecord(value, what);
  return { code: uint(r, 'code', what), message: str(r, 'message', what) };
}

/** A task hash as HGETALL gives it (field → value) into a TaskRecord; throws on a foreign shape. */
export function parseRecord(id: string, h: Map<string, string>): TaskRecord {
  const state = h.get('state');
  const priority = h.get('priority');
  if (!isState(state)) throw new WireShapeError(`task ${id}: unknown state ${String(state)}`);
  if (!isPriority(priority)) throw new WireShapeError(`task ${id}: unknown priority ${String(priority)}`);
  const deadline = h.get('deadline');
  const error = json(h.get('error'));
  return {
    id,
    tool: h.get('tool') ?? '',
    args: json(h.get('args')),
    priority,
    state,
    idempotencyKey: h.get('key') ?? id,
    attempts: int(h.get('attempts') ?? '0', 'attempts'),
    maxAttempts: int(h.get('max'), 'max'),
    deadline: deadline === undefined || deadline === '' ? undefined : int(deadline, 'deadline'),
    resultTtlMs: int(h.get('ttl'), 'ttl'),
    traceparent: h.get('trace') || undefined,
    worker: h.get('worker') || undefined,
    result: json(h.get('result')),
    error: error === undefined ? undefined : failure(error, 'task record.error'),
    dead: h.get('dead') === '1',
    createdAt: int(h.get('created'), 'created'),
    updatedAt: int(h.get('updated'), 'updated'),
  };
}

/** One event as stored (JSON text) into a TaskEvent; throws WireShapeError on anything else. */
export function parseEvent(text: string): TaskEvent {
  const r = expectRecord(JSON.parse(text), 'task event');
  const at = uint(r, 'at', 'task event');
  const type = r['type'];
  switch (type) {
    case 'queued':
      return { type, at };
    case 'claimed':
      return { type, at, worker: str(r, 'worker', 'task event'), attempt: uint(r, 'attempt', 'task event') };
    case 'progress':
      return { type, at, data: r['data'] };
    case 'retrying':
      return {
        type,
        at,
        attempt: uint(r, 'attempt', 'task event'),
        delayMs: uint(r, 'delayMs', 'task event'),
        error: failure(r['error'], 'task event.error'),
      };
    case 'succeeded':
      return { type, at, result: r['result'] };
    case 'failed':
      return { type, at, error: failure(r['error'], 'task event.error'), dead: r['dead'] === true };
    case 'cancelled':
      return { type, at };
    default:
      throw new WireShapeError(`unknown task event type ${String(type)}`);
  }
}

/** Field/value pairs from a flat reply list. */
export function pairs(flat: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) out.set(flat[i] ?? '', flat[i + 1] ?? '');
  return out;
}

