import { expectRecord, str } from '@agentsocket/core/internal';
import { isPriority, type QueueEntry } from './task.js';

/** A queue entry on the wire: JSON {id, tool, priority, key?}. */
export function encodeEntry(entry: QueueEntry): string {
  return JSON.stringify({ id: entry.id, tool: entry.tool, priority: entry.priority, key: entry.key });
}

/** Throws WireShapeError when the bytes are not an entry this package wrote. */
export function decodeEntry(text: string): QueueEntry {
  const r = expectRecord(JSON.parse(text), 'queue entry');
  const priority = r['priority'];
  if (!isPriority(priority)) throw new TypeError('queue entry.priority must be high, normal or low');
  const key = r['key'];
  if (key !== undefined && typeof key !== 'string') throw new TypeError('queue entry.key must be a string');
  const entry = { id: str(r, 'id', 'queue entry'), tool: str(r, 'tool', 'queue entry'), priority };
  return key === undefined ? entry : { ...entry, key };
}
