/**
 * A fast yes-check for the JSON Schemas most tools declare: objects of typed properties, required
 * keys, arrays of typed items, enums. `compileFastCheck(schema)` returns a predicate, or undefined
 * when the schema uses anything outside that subset.
 *
 * The predicate only ever says "certainly valid". When it returns false — the value is invalid,
 * or merely unusual (NaN, a class instance, an own `__proto__` key) — the full validator
 * (@cfworker/json-schema) decides and writes the error messages. So a valid call costs a few
 * property reads instead of a full validation with its pointer strings and result objects, and
 * the answers are the full validator's whenever they matter.
 *
 * The invariant, tested against the full validator: check(value) === true implies the full
 * validator accepts value.
 */
export type FastCheck = (value: unknown) => boolean;

/** Keywords that only annotate: they never make a value invalid. */
const ANNOTATIONS = new Set(['$schema', '$comment', 'title', 'description', 'default', 'examples', 'deprecated', 'readOnly', 'writeOnly']);

const TYPES = new Set(['string', 'number', 'integer', 'boolean', 'object', 'array', 'null']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function isPrimitive(value: unknown): value is string | number | boolean | null {
  return value === null || typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
}

function typeCheck(type: string): FastCheck {
  switch (type) {
    case 'string':
      return (v) => typeof v === 'string';
    case 'number':
      return (v) => typeof v === 'number' && Number.isFinite(v);
    case 'integer':
      return (v) => Number.isInteger(v);
    case 'boolean':
      return (v) => typeof v === 'boolean';
    case 'null':
      return (v) => v === null;
    case 'array':
      return Array.isArray;
    default:
      return isPlainObject;
  }
}

function isNonNegativeInteger(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0;
}

/** Compiles the subset; undefined for anything else. */
export function compileFastCheck(schema: unknown, depth = 0): FastCheck | undefined {
  if (schema === true) return () => true;
  if (!isPlainObject(schema) || depth > 16) return undefined;
  const checks: FastCheck[] = [];
  let props: Array<[string, FastCheck]> | undefined;
  let required: string[] | undefined;
  let additional: FastCheck | false | undefined;
  let items: FastCheck | undefined;
  for (const [key, value] of Object.entries(schema)) {
    if (ANNOTATIONS.has(key)) continue;
    switch (key) {
      case 'type': {
        const types = Array.isArray(value) ? value : [value];
        if (types.length === 0 || !types.every((t) => typeof t === 'string' && TYPES.has(t))) return undefined;
        const each = (types as string[]).map(typeCheck);
        checks.push(each.length === 1 ? (each[0] as FastCheck) : (v) => each.some((c) => c(v)));
        break;
      }
      case 'properties': {
        if (!isPlainObject(value)) return undefined;
        props = [];
        for (const [name, sub] of Object.entries(value)) {
          const c = compileFastCheck(sub, depth + 1);
          if (!c) return undefined;
          props.push([name, c]);
        }
        break;
      }
      case 'required':
        if (!Array.isArray(value) || !value.every((k) => typeof k === 'string')) return undefined;
        required = value as string[];
        break;
      case 'additionalProperties':
        if (value === false) additional = false;
        else {
          const c = compileFastCheck(value, depth + 1);
          if (!c) return undefined;
          additional = c;
        }
        break;
      case 'items': {
        const c = compileFastCheck(value, depth + 1);
        if (!c) return undefined;
        items = c;
        break;
      }
      case 'enum': {
        if (!Array.isArray(value) || !value.every(isPrimitive)) return undefined;
        const allowed = value as unknown[];
        checks.push((v) => allowed.includes(v));
        break;
      }
      case 'const':
        if (!isPrimitive(value)) return undefined;
        checks.push((v) => v === value);
        break;
      case 'minimum':
      case 'maximum':
      case 'exclusiveMinimum':
      case 'exclusiveMaximum': {
        if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
        const bound = value;
        const ok =
          key === 'minimum' ? (n: number) => n >= bound : key === 'maximum' ? (n: number) => n <= bound : key === 'exclusiveMinimum' ? (n: number) => n > bound : (n: number) => n < bound;
        // Numbers are bounded; other types pass this keyword, as in JSON Schema.
        checks.push((v) => typeof v !== 'number' || (Number.isFinite(v) && ok(v)));
        break;
      }
      case 'minItems':
      case 'maxItems': {
        if (!isNonNegativeInteger(value)) return undefined;
        const n = value;
        checks.push(key === 'minItems' ? (v) => !Array.isArray(v) || v.length >= n : (v) => !Array.isArray(v) || v.length <= n);
        break;
      }
      default:
        // Anything else ($ref, anyOf, pattern, format, minLength, …) is left to the full validator.
        return undefined;
    }
  }
  const propList = props ?? [];
  const requiredList = required ?? [];
  const known = new Set(propList.map(([name]) => name));
  const extra = additional;
  if (propList.length > 0 || requiredList.length > 0 || extra !== undefined) {
    checks.push((v) => {
      // Keywords about properties apply to objects only; an array or a string passes them.
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return true;
      if (!isPlainObject(v)) return false;
      for (const key of requiredList) if (!Object.hasOwn(v, key)) return false;
      for (const [name, check] of propList) {
        if (Object.hasOwn(v, name) && !check(v[name])) return false;
      }
      if (extra !== undefined) {
        for (const key of Object.keys(v)) {
          if (key === '__proto__') return false;
          if (known.has(key)) continue;
          if (extra === false || !extra(v[key])) return false;
        }
      }
      return true;
    });
  }
  if (items) {
    const each = items;
    checks.push((v) => !Array.isArray(v) || v.every((x) => each(x)));
  }
  if (checks.length === 0) return () => true;
  if (checks.length === 1) return checks[0];
  return (v) => {
    for (const c of checks) if (!c(v)) return false;
    return true;
  };
}
