/** Small validators for values decoded from the wire. They narrow without casts. */

import { AgentSocketError } from './errors.js';

export type WireRecord = Record<string, unknown>;

/** A value decoded from the wire or a store without the shape expected: local code INVALID_FRAME. */
export class WireShapeError extends AgentSocketError {
  override readonly name: string = 'WireShapeError';

  constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_FRAME', message, options);
  }
}

export function isRecord(value: unknown): value is WireRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

export function expectRecord(value: unknown, what: string): WireRecord {
  if (!isRecord(value)) throw new WireShapeError(`${what} must be a map`);
  return value;
}

export function str(r: WireRecord, key: string, what: string): string {
  const v = r[key];
  if (typeof v !== 'string') throw new WireShapeError(`${what}.${key} must be a string`);
  return v;
}

export function optStr(r: WireRecord, key: string, what: string): string | undefined {
  const v = r[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new WireShapeError(`${what}.${key} must be a string`);
  return v;
}

export function uint(r: WireRecord, key: string, what: string): number {
  const v = r[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new WireShapeError(`${what}.${key} must be a non-negative integer`);
  }
  return v;
}

export function optUint(r: WireRecord, key: string, what: string): number | undefined {
  const v = r[key];
  if (v === undefined || v === null) return undefined;
  return uint(r, key, what);
}

export function optNum(r: WireRecord, key: string, what: string): number | undefined {
  const v = r[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new WireShapeError(`${what}.${key} must be a number`);
  return v;
}

export function optBool(r: WireRecord, key: string, what: string): boolean | undefined {
  const v = r[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new WireShapeError(`${what}.${key} must be a boolean`);
  return v;
}

export function strArray(r: WireRecord, key: string, what: string): string[] {
  const v = r[key];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
    throw new WireShapeError(`${what}.${key} must be an array of strings`);
  }
  return v;
}

export function int(r: WireRecord, key: string, what: string): number {
  const v = r[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new WireShapeError(`${what}.${key} must be an integer`);
  return v;
}

export function optInt(r: WireRecord, key: string, what: string): number | undefined {
  return r[key] === undefined || r[key] === null ? undefined : int(r, key, what);
}

export function num(r: WireRecord, key: string, what: string): number {
  const v = r[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new WireShapeError(`${what}.${key} must be a number`);
  return v;
}

export function list(r: WireRecord, key: string, what: string): unknown[] {
  const v = r[key];
  if (!Array.isArray(v)) throw new WireShapeError(`${what}.${key} must be a list`);
  return v;
}
