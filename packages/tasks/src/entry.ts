import { expectRecord, str } from '@agentsocket/core';
import { isPriority, type QueueEntry } from './task.js';

/** A queue entry on the wire: JSON {id, tool, priority}. */
export function encodeEntry(entry: QueueEntry): string {
  return JSON.stringify({ id: entry.id, tool: entry.tool, priority: entry.priority });
}

/** Throws WireShapeError when the bytes are not an entry this package wrote. */
export function decodeEntry(text: string): QueueEntry {
  const r = expectRecord(JSON.parse(text), 'queue entry');
  const priority = r['priority'];
  if (!isPriority(priority)) throw new TypeError('queue entry.priority must be high, normal or low');
  return { id: str(r, 'id', 'queue entry'), tool: str(r, 'tool', 'queue entry'), priority };
}
