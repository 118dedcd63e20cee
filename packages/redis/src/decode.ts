/** Small validators for values read back from Redis or pub/sub: decode, never cast. */

export type Fields = Record<string, unknown>;

export class DecodeError extends TypeError {
  override readonly name = 'DecodeError';
}

export function isFields(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

export function fields(value: unknown, what: string): Fields {
  if (!isFields(value)) throw new DecodeError(`${what} must be a map`);
  return value;
}

export function text(r: Fields, key: string, what: string): string {
  const v = r[key];
  if (typeof v !== 'string') throw new DecodeError(`${what}.${key} must be a string`);
  return v;
}

export function optText(r: Fields, key: string, what: string): string | undefined {
  const v = r[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new DecodeError(`${what}.${key} must be a string`);
  return v;
}

export function int(r: Fields, key: string, what: string): number {
  const v = r[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new DecodeError(`${what}.${key} must be an integer`);
  return v;
}

export function optInt(r: Fields, key: string, what: string): number | undefined {
  return r[key] === undefined || r[key] === null ? undefined : int(r, key, what);
}

export function num(r: Fields, key: string, what: string): number {
  const v = r[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new DecodeError(`${what}.${key} must be a number`);
  return v;
}

export function list(r: Fields, key: string, what: string): unknown[] {
  const v = r[key];
  if (!Array.isArray(v)) throw new DecodeError(`${what}.${key} must be a list`);
  return v;
}

export function texts(r: Fields, key: string, what: string): string[] {
  return list(r, key, what).map((v, i) => {
    if (typeof v !== 'string') throw new DecodeError(`${what}.${key}[${i}] must be a string`);
    return v;
  });
}
