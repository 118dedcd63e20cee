/**
 * Shape limits every decoded payload is held to (protocol.md §4 and §21), so that no input costs
 * much more memory to decode than its own size: nested arrays and maps (empty ones above all) cost
 * V8 40–64 bytes each, 20–50 times the bytes that encode them. Checked before anything is built
 * for JSON (HELLO and the json codec) and while decoding for MessagePack.
 */
import { AgentSocketError } from './errors.js';

/** Arrays and maps nested deeper than this are refused; the payload's own map is level 1. */
export const MAX_PAYLOAD_DEPTH = 64;
/** Values in one payload: the payload itself, every array element, every map key and every map value. */
export const MAX_PAYLOAD_VALUES = 2 ** 21;
/** Arrays and maps in one payload. */
export const MAX_PAYLOAD_CONTAINERS = 2 ** 19;

/** Below this many bytes a JSON text cannot break any limit above, so it is not scanned. */
const SMALL_JSON = 2 * MAX_PAYLOAD_DEPTH;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** What each byte is to the scan: most are OTHER. */
const OTHER = 0;
const SPACE = 1;
const STRING = 2;
const OPEN = 3;
const CLOSE = 4;
const SEPARATOR = 5;
const KIND = new Uint8Array(256);
for (const c of [0x20, 0x0a, 0x0d, 0x09]) KIND[c] = SPACE;
KIND[QUOTE] = STRING;
KIND[0x5b] = OPEN; // [
KIND[0x7b] = OPEN; // {
KIND[0x5d] = CLOSE; // ]
KIND[0x7d] = CLOSE; // }
KIND[0x2c] = SEPARATOR; // ,
KIND[0x3a] = SEPARATOR; // :

/**
 * Throws AgentSocketError INVALID_FRAME when the JSON text in `bytes` nests deeper, or holds more
 * values or containers, than the limits allow. One pass over the bytes, no allocation; it does
 * not validate the JSON (JSON.parse does that after it), it only counts structure outside strings.
 */
export function checkJsonShape(bytes: Uint8Array): void {
  const end = bytes.length;
  if (end < SMALL_JSON) return;
  let depth = 0;
  let values = 1;
  let containers = 0;
  /** A container was just opened: the next token starts its first value. */
  let opened = false;
  for (let pos = 0; pos < end; pos++) {
    const kind = KIND[bytes[pos] ?? 0] ?? OTHER;
    // Digits, letters and the like, the bulk of what is not in a string: one table look-up.
    if (kind === OTHER) {
      if (opened) {
        values++;
        opened = false;
      }
      continue;
    }
    if (kind === SPACE) continue;
    if (opened && kind !== CLOSE) values++;
    opened = false;
    switch (kind) {
      case STRING:
        pos = stringEnd(bytes, pos + 1, end);
        break;
      case OPEN:
        if (++depth > MAX_PAYLOAD_DEPTH) throw tooDeep();
        if (++containers > MAX_PAYLOAD_CONTAINERS) throw tooManyContainers();
        opened = true;
        break;
      case CLOSE:
        depth--;
        break;
      default: // a comma or a colon starts another value
        if (++values > MAX_PAYLOAD_VALUES) throw tooManyValues();
    }
  }
}

/** The offset of the quote that closes a string whose first byte is at `pos` (or `end`: JSON.parse rejects it). */
function stringEnd(bytes: Uint8Array, pos: number, end: number): number {
  for (;;) {
    const quote = bytes.indexOf(QUOTE, pos);
    if (quote === -1) return end;
    let slashes = 0;
    while (quote - slashes - 1 >= pos && bytes[quote - slashes - 1] === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return quote;
    pos = quote + 1;
  }
}

export function tooDeep(): AgentSocketError {
  return new AgentSocketError('INVALID_FRAME', `payload nests arrays and maps deeper than ${MAX_PAYLOAD_DEPTH} levels`);
}

export function tooManyValues(): AgentSocketError {
  return new AgentSocketError('INVALID_FRAME', `payload holds more than ${MAX_PAYLOAD_VALUES} values`);
}

export function tooManyContainers(): AgentSocketError {
  return new AgentSocketError('INVALID_FRAME', `payload holds more than ${MAX_PAYLOAD_CONTAINERS} arrays and maps`);
}
