/**
 * The strict gate in front of msgpackr: checks that bytes are exactly one well-formed MessagePack
 * value that docs/protocol.md §4 accepts, without building it. msgpackr is more lenient than the
 * spec (0xc1 nested in a value becomes a marker object, and it decodes its own extension types:
 * records, Set, Error, RegExp, typed arrays, BigInt, bundled strings...), so every input the fast
 * reader leaves to it passes here first. Rejected: no bytes, a cut-short value, bytes after the
 * value, the never-used byte 0xc1, and every extension type but the standard timestamp (-1) in one
 * of its three valid forms, and values beyond the shape limits of payload-limits.ts (depth, values,
 * arrays and maps). One pass, no recursion, one small array of open containers.
 */
import { AgentSocketError } from './errors.js';
import { MAX_PAYLOAD_CONTAINERS, MAX_PAYLOAD_DEPTH, MAX_PAYLOAD_VALUES, tooDeep, tooManyContainers, tooManyValues } from './payload-limits.js';

const TIMESTAMP = 0xff; // extension type -1 as its byte
const MAX_NANOSECONDS = 999_999_999;

/**
 * Throws AgentSocketError INVALID_FRAME when `bytes` is not one value the protocol accepts.
 * `timestamp: false` refuses the timestamp extension too: what a sender may write (§4).
 */
export function checkMsgpack(bytes: Uint8Array, options: { timestamp: boolean } = { timestamp: true }): void {
  const end = bytes.length;
  if (end === 0) throw invalid('MessagePack input is empty');
  let pos = 0;
  /** Values still to read: the top one, then every array element and map key and value announced. */
  let pending = 1;
  let values = 1;
  let containers = 0;
  /** Open arrays and maps, innermost last: how many values each still has to read. */
  const open: number[] = [];
  /** A value was read whole: it counts against its container, which may then be whole too. */
  const done = (): void => {
    let last = open.length - 1;
    while (last >= 0) {
      const left = (open[last] ?? 1) - 1;
      if (left > 0) {
        open[last] = left;
        return;
      }
      open.pop();
      last--;
    }
  };
  /** A container of `count` values began; an empty one is already whole. */
  const container = (count: number): void => {
    if (pending > end - pos) throw truncated(end); // a length past the input says so first
    if (++containers > MAX_PAYLOAD_CONTAINERS) throw tooManyContainers();
    values += count;
    if (values > MAX_PAYLOAD_VALUES) throw tooManyValues();
    if (open.length >= MAX_PAYLOAD_DEPTH) throw tooDeep();
    if (count === 0) done();
    else open.push(count);
  };
  while (pending > 0) {
    // Every pending value takes at least a byte, so this also catches a length past the input.
    if (pending > end - pos) throw truncated(end);
    const at = pos;
    const token = bytes[pos++] ?? 0;
    pending--;
    if (token < 0x80 || token >= 0xe0) {
      done(); // fixint
      continue;
    }
    if (token < 0x90) {
      pending += 2 * (token & 0x0f);
      container(2 * (token & 0x0f));
      continue;
    }
    if (token < 0xa0) {
      pending += token & 0x0f;
      container(token & 0x0f);
      continue;
    }
    if (token < 0xc0) {
      pos = skip(end, pos, token & 0x1f);
      done();
      continue;
    }
    switch (token) {
      case 0xc0:
      case 0xc2:
      case 0xc3:
        done();
        continue;
      case 0xc1:
        throw invalid(`MessagePack byte 0xc1 (at offset ${at}) is never used`);
      case 0xc4: // bin 8/16/32 and str 8/16/32
      case 0xd9:
        pos = skip(end, pos + 1, uint(bytes, end, pos, 1));
        done();
        continue;
      case 0xc5:
      case 0xda:
        pos = skip(end, pos + 2, uint(bytes, end, pos, 2));
        done();
        continue;
      case 0xc6:
      case 0xdb:
        pos = skip(end, pos + 4, uint(bytes, end, pos, 4));
        done();
        continue;
      case 0xc7: // ext 8/16/32: length, then type
        pos = extension(bytes, end, at, options.timestamp, pos + 1, uint(bytes, end, pos, 1));
        done();
        continue;
      case 0xc8:
        pos = extension(bytes, end, at, options.timestamp, pos + 2, uint(bytes, end, pos, 2));
        done();
        continue;
      case 0xc9:
        pos = extension(bytes, end, at, options.timestamp, pos + 4, uint(bytes, end, pos, 4));
        done();
        continue;
      case 0xd4: // fixext 1/2/4/8/16
      case 0xd5:
      case 0xd6:
      case 0xd7:
      case 0xd8:
        pos = extension(bytes, end, at, options.timestamp, pos, 1 << (token - 0xd4));
        done();
        continue;
      case 0xcc:
      case 0xd0:
        pos = skip(end, pos, 1);
        done();
        continue;
      case 0xcd:
      case 0xd1:
        pos = skip(end, pos, 2);
        done();
        continue;
      case 0xca:
      case 0xce:
      case 0xd2:
        pos = skip(end, pos, 4);
        done();
        continue;
      case 0xcb:
      case 0xcf:
      case 0xd3:
        pos = skip(end, pos, 8);
        done();
        continue;
      case 0xdc:
        pending += uint(bytes, end, pos, 2);
        container(uint(bytes, end, pos, 2));
        pos += 2;
        continue;
      case 0xdd:
        pending += uint(bytes, end, pos, 4);
        container(uint(bytes, end, pos, 4));
        pos += 4;
        continue;
      case 0xde:
        pending += 2 * uint(bytes, end, pos, 2);
        container(2 * uint(bytes, end, pos, 2));
        pos += 2;
        continue;
      default: // 0xdf
        pending += 2 * uint(bytes, end, pos, 4);
        container(2 * uint(bytes, end, pos, 4));
        pos += 4;
    }
  }
  if (pos !== end) throw invalid(`MessagePack input has ${end - pos} byte(s) after its value (at offset ${pos})`);
}

/** Checks an extension's type byte at `pos` and its `length` data bytes; returns the offset after them. */
function extension(bytes: Uint8Array, end: number, at: number, timestamp: boolean, pos: number, length: number): number {
  if (pos >= end) throw truncated(end);
  const type = bytes[pos] ?? 0;
  const data = pos + 1;
  const after = skip(end, data, length);
  if (type !== TIMESTAMP || !timestamp) {
    const only = timestamp ? '; only the timestamp (-1) is' : '';
    throw invalid(`MessagePack extension type ${type > 127 ? type - 256 : type} (at offset ${at}) is not accepted${only}`);
  }
  // The timestamp's three forms (MessagePack spec): 32-bit seconds; 30-bit nanoseconds and 34-bit
  // seconds; 32-bit nanoseconds and 64-bit signed seconds.
  if (length !== 4 && length !== 8 && length !== 12) {
    throw invalid(`MessagePack timestamp (at offset ${at}) has ${length} data bytes; it has 4, 8 or 12`);
  }
  const nanoseconds = length === 4 ? 0 : length === 8 ? uint(bytes, end, data, 4) >>> 2 : uint(bytes, end, data, 4);
  if (nanoseconds > MAX_NANOSECONDS) throw invalid(`MessagePack timestamp (at offset ${at}) has ${nanoseconds} nanoseconds`);
  return after;
}

/** The offset after `length` bytes from `pos`, if the input has them. */
function skip(end: number, pos: number, length: number): number {
  if (length > end - pos) throw truncated(end);
  return pos + length;
}

/** A big-endian unsigned integer of 1, 2 or 4 bytes at `pos`. */
function uint(bytes: Uint8Array, end: number, pos: number, size: 1 | 2 | 4): number {
  if (size > end - pos) throw truncated(end);
  let n = 0;
  for (let i = 0; i < size; i++) n = n * 256 + (bytes[pos + i] ?? 0);
  return n;
}

function truncated(end: number): AgentSocketError {
  return invalid(`MessagePack input is truncated: its ${end} byte(s) end inside a value`);
}

function invalid(message: string): AgentSocketError {
  return new AgentSocketError('INVALID_FRAME', message);
}
