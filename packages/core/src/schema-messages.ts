import type { OutputUnit } from '@cfworker/json-schema';

/**
 * Turns the JSON Schema validator's output into sentences a person reads, each ending with where
 * in the arguments it happened as a JSON Pointer: `unexpected property "days" at /`,
 * `expected a string but got a number at /topic`. Wrapper entries ("Property "x" does not match
 * schema.") are dropped when a more precise entry follows them.
 */
export function describeSchemaErrors(errors: readonly OutputUnit[], value: unknown): string {
  const precise = errors.filter((e) => !WRAPPERS.has(e.keyword));
  const sentences = (precise.length > 0 ? precise : errors).map((e) => `${describe(e, value)} at ${where(e)}`);
  return [...new Set(sentences)].join('; ');
}

/** Entries that only say a sub-value failed; the sub-value's own entry says how. */
const WRAPPERS = new Set([
  'properties',
  'patternProperties',
  'additionalProperties',
  'unevaluatedProperties',
  'items',
  'prefixItems',
  'additionalItems',
  'unevaluatedItems',
  'allOf',
  '$ref',
  '$dynamicRef',
  '$recursiveRef',
  'dependentSchemas',
  'if',
  'then',
  'else',
]);

function describe(e: OutputUnit, root: unknown): string {
  const text = e.error;
  switch (e.keyword) {
    case 'false': {
      const segments = segmentsOf(e.instanceLocation);
      const key = segments.at(-1);
      const parent = resolve(root, segments.slice(0, -1));
      if (key === undefined) return 'no value is allowed';
      return Array.isArray(parent) ? `unexpected item ${key}` : `unexpected property "${key}"`;
    }
    case 'required':
      return match(text, /required property "(.*)"\.$/, (key) => `missing required property "${key}"`);
    case 'type': {
      const m = /^Instance type "(.*)" is invalid\. Expected "(.*)"\.$/.exec(text);
      if (!m) break;
      const expected = (m[2] ?? '').split('", "').map(article).join(' or ');
      return `expected ${expected} but got ${article(m[1] ?? '')}`;
    }
    case 'enum':
      return match(text, /any of (.*)\.$/s, (list) => `must be one of ${listOf(list)}`);
    case 'const':
      return match(text, /^Instance does not match (.*)\.$/s, (v) => `must be ${v}`);
    case 'minLength':
      return match(text, /\((\d+) < (\d+)\)/, (got, min) => `must be at least ${min} characters long (got ${got})`);
    case 'maxLength':
      return match(text, /\((\d+) > (\d+)\)/, (got, max) => `must be at most ${max} characters long (got ${got})`);
    case 'minItems':
      return match(text, /\((\d+) < (\d+)\)/, (got, min) => `must have at least ${min} items (got ${got})`);
    case 'maxItems':
      return match(text, /\((\d+) > (\d+)\)/, (got, max) => `must have at most ${max} items (got ${got})`);
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const m = /^(.*) is (less|greater) than (or equal to )? ?(.*)\.$/.exec(text);
      if (!m) break;
      const bound = m[4] ?? '';
      const exclusive = m[3] !== undefined;
      const rule = m[2] === 'less' ? (exclusive ? `greater than ${bound}` : `at least ${bound}`) : exclusive ? `less than ${bound}` : `at most ${bound}`;
      return `must be ${rule} (got ${m[1]})`;
    }
    case 'multipleOf':
      return match(text, /multiple of (.*)\.$/, (n) => `must be a multiple of ${n}`);
    case 'pattern':
      return 'does not match the required pattern';
    case 'format':
      return match(text, /format "(.*)"\.$/, (f) => `must be a valid ${f}`);
    case 'uniqueItems':
      return match(text, /indexes (\d+) and (\d+)/, (a, b) => `must not repeat items (items ${a} and ${b} are equal)`);
    case 'minProperties':
      return match(text, /at least (\d+)/, (n) => `must have at least ${n} properties`);
    case 'maxProperties':
      return match(text, /at least (\d+)/, (n) => `must have at most ${n} properties`);
    case 'anyOf':
      return 'does not match any of the allowed forms';
    case 'oneOf':
      return match(text, /\((\d+) matches\)/, (n) => (n === '0' ? 'does not match any of the allowed forms' : `matches ${n} of the allowed forms, but must match exactly one`));
    case 'not':
      return 'is a value the schema does not allow';
    case 'dependentRequired':
      return match(text, /has "(.*)" but does not have "(.*)"\./, (a, b) => `has "${a}", so it also needs "${b}"`);
    case 'propertyNames':
      return match(text, /name "(.*)" does not/, (key) => `property name "${key}" is not allowed`);
  }
  // Anything else: the validator's own sentence, in the same shape as ours.
  const plain = text.replace(/\.$/, '').replace(/^Instance /, 'value ');
  return plain.charAt(0).toLowerCase() + plain.slice(1);
}

function match(text: string, pattern: RegExp, build: (...groups: string[]) => string): string {
  const m = pattern.exec(text);
  if (!m) return text.replace(/\.$/, '');
  return build(...m.slice(1).map((g) => g ?? ''));
}

function article(type: string): string {
  if (type === 'null') return 'null';
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/** `["a","b"]` → `"a", "b"`; anything that is not a JSON list stays as it is. */
function listOf(json: string): string {
  try {
    const parsed: unknown = JSON.parse(json);
    if (Array.isArray(parsed)) return parsed.map((v) => JSON.stringify(v)).join(', ');
  } catch {
    // not JSON: shown as it is
  }
  return json;
}

/** The validator writes `#/a/b` with each segment URI-encoded; people read `/a/b`. */
function segmentsOf(location: string): string[] {
  const body = location.replace(/^#/, '');
  if (body === '' || body === '/') return [];
  return body
    .slice(1)
    .split('/')
    .map((s) => safeDecode(s).replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Where to point: the object that has an unexpected property, otherwise the failing value. */
function where(e: OutputUnit): string {
  const segments = segmentsOf(e.instanceLocation);
  return pointer(e.keyword === 'false' ? segments.slice(0, -1) : segments);
}

function pointer(segments: readonly string[]): string {
  return segments.length === 0 ? '/' : `/${segments.map((s) => s.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function resolve(value: unknown, segments: readonly string[]): unknown {
  let current = value;
  for (const s of segments) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = Reflect.get(current, s);
  }
  return current;
}
