/** Arguments of the session scripts, and decoding of what load() reads back. */
import type { SessionRecord, StoredSession } from '@agentsocket/core';
import { decodeRecord, encodeRecord } from './session-record.js';
import type { Batch, Snapshot } from './session-journal.js';

type Arg = string | number | Buffer;

function buf(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function opt(n: number | undefined): Arg {
  return n === undefined ? '' : n;
}

export function writeArgs(owner: string, ttlMs: number, b: Batch): Arg[] {
  const args: Arg[] = [owner, ttlMs, opt(b.lastReceived), opt(b.nextSq), opt(b.ackedUpTo), b.sent.length];
  for (const [sq, frame] of b.sent) args.push(sq, buf(frame));
  args.push(b.ended.length, ...b.ended, b.started.length);
  for (const [rid, frame] of b.started) args.push(rid, buf(frame));
  return args;
}

export function recreateArgs(owner: string, ttlMs: number, record: SessionRecord, s: Snapshot): Arg[] {
  const args: Arg[] = [owner, ttlMs, buf(encodeRecord(record)), s.nextSq, s.lastReceived, s.frames.length];
  for (const [sq, frame] of s.frames) args.push(sq, buf(frame));
  args.push(s.incoming.length);
  for (const [rid, frame] of s.incoming) args.push(rid, buf(frame));
  return args;
}

/** Decodes the three replies of load(); undefined when the session is not stored. */
export function decodeStored(main: unknown, frames: unknown, incoming: unknown): StoredSession | undefined {
  const m = bufferMap(main, 'session hash');
  const rec = m.get('rec');
  if (!rec) return undefined;
  const out: StoredSession = {
    record: decodeRecord(rec),
    nextSq: intText(m.get('nextSq'), 'nextSq'),
    lastReceived: intText(m.get('lastReceived'), 'lastReceived'),
    frames: [],
    incoming: [],
  };
  if (!Array.isArray(frames) || frames.length % 2 !== 0) throw new TypeError('unexpected reply for session frames');
  for (let i = 0; i < frames.length; i += 2) {
    const frame: unknown = frames[i];
    if (!Buffer.isBuffer(frame)) throw new TypeError('unexpected reply for session frames');
    out.frames.push({ sq: intText(frames[i + 1], 'frame score'), frame: new Uint8Array(frame) });
  }
  for (const [rid, frame] of bufferMap(incoming, 'session incoming')) {
    out.incoming.push({ rid: intText(rid, 'request id'), frame: new Uint8Array(frame) });
  }
  return out;
}

function bufferMap(value: unknown, what: string): Map<string, Buffer> {
  if (typeof value !== 'object' || value === null) throw new TypeError(`unexpected reply for ${what}`);
  const out = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(value)) {
    if (!Buffer.isBuffer(v)) throw new TypeError(`unexpected reply for ${what}`);
    out.set(k, v);
  }
  return out;
}

function intText(value: unknown, what: string): number {
  const s = Buffer.isBuffer(value) ? value.toString('utf8') : typeof value === 'string' ? value : undefined;
  const n = s === undefined ? Number.NaN : Number(s);
  if (!Number.isSafeInteger(n)) throw new TypeError(`stored ${what} is not an integer`);
  return n;
}
