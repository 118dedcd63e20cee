import { toHex } from '../src/index.js';

/** A decoded value written as JSON, byte arrays as {"$bin": hex} (docs/relay.md §10). */
export function toJsonValue(value: unknown): unknown {
  if (value instanceof Uint8Array) return { $bin: toHex(value) };
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJsonValue(v)]));
  return value;
}

/** The inverse of toJsonValue. */
export function fromJsonValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromJsonValue);
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value);
    const [only] = entries;
    if (entries.length === 1 && only?.[0] === '$bin' && typeof only[1] === 'string') {
      return Uint8Array.from(only[1].match(/../g) ?? [], (h) => Number.parseInt(h, 16));
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, fromJsonValue(v)]));
  }
  return value;
}
