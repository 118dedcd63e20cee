import { AgentSocketError } from './errors.js';
import * as RequestIdSpace from './request-id-space.js';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** What a message id of the caller's own may be (protocol.md §9): 1–128 of `0-9 A-Z a-z - _ . : ~`. */
const MESSAGE_ID = /^[0-9A-Za-z\-_.:~]{1,128}$/;

/**
 * Checks a message id a caller chose (InvokeOptions.messageId, an idempotency key); throws
 * INVALID_OPTIONS naming the rule it breaks. Ids the library makes are ULIDs, which pass.
 */
export function checkMessageId(id: unknown): string {
  if (typeof id !== 'string' || !MESSAGE_ID.test(id)) {
    const shown = typeof id === 'string' ? JSON.stringify(id.length > 40 ? `${id.slice(0, 40)}…` : id) : typeof id;
    throw new AgentSocketError('INVALID_OPTIONS', `messageId must be 1 to 128 characters from 0-9 A-Z a-z - _ . : ~ (got ${shown})`);
  }
  return id;
}

/**
 * Returns a generator of ULIDs: 26-character, globally unique, lexicographically time-ordered
 * message IDs. Within one millisecond the random part is incremented, so IDs from one
 * generator are strictly increasing.
 */
export function ulidFactory(now: () => number = Date.now): () => string {
  let lastTime = -1;
  const random = new Uint8Array(10);
  // The id's 26 character codes; the time part is rewritten once per millisecond, the rest per id.
  const codes: number[] = new Array<number>(26).fill(0);
  return () => {
    const time = now();
    if (time <= lastTime) {
      increment(random);
    } else {
      lastTime = time;
      encodeTime(time, codes);
      randomBytes(random);
      random[0] = (random[0] ?? 0) & 0x7f; // headroom so increments within a millisecond never overflow
    }
    encodeRandom(random, codes);
    // One flat string, instead of one intermediate string per character.
    return String.fromCharCode.apply(null, codes);
  };
}

/** Random bytes drawn from the platform 1 KiB at a time: each draw costs a system call or more. */
const pool = new Uint8Array(1024);
let poolAt = pool.length;

function randomBytes(out: Uint8Array): void {
  if (poolAt + out.length > pool.length) {
    crypto.getRandomValues(pool);
    poolAt = 0;
  }
  out.set(pool.subarray(poolAt, poolAt + out.length));
  // Used bytes are overwritten so they are never handed out twice.
  pool.fill(0, poolAt, poolAt + out.length);
  poolAt += out.length;
}

function increment(bytes: Uint8Array): void {
  for (let i = bytes.length - 1; i >= 0; i--) {
    const v = ((bytes[i] ?? 0) + 1) & 0xff;
    bytes[i] = v;
    if (v !== 0) return;
  }
}

const CROCKFORD_CODES = Array.from(CROCKFORD, (c) => c.charCodeAt(0));

/** 48-bit milliseconds -> 10 base32 characters, most significant first, into codes[0..9]. */
function encodeTime(time: number, codes: number[]): void {
  let t = time;
  for (let i = 9; i >= 0; i--) {
    codes[i] = CROCKFORD_CODES[t % 32] ?? 0;
    t = Math.floor(t / 32);
  }
}

/** 80 bits -> 16 base32 characters, 5 bits at a time, into codes[10..25]. */
function encodeRandom(bytes: Uint8Array, codes: number[]): void {
  let at = 10;
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      codes[at++] = CROCKFORD_CODES[(acc >>> bits) & 31] ?? 0;
    }
    acc &= (1 << bits) - 1;
  }
}

/** The millisecond timestamp encoded in a ULID. */
export function ulidTime(id: string): number {
  let t = 0;
  for (let i = 0; i < 10; i++) t = t * 32 + CROCKFORD.indexOf(id[i] ?? '0');
  return t;
}

const CROCKFORD_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < CROCKFORD.length; i++) CROCKFORD_VALUE[CROCKFORD.charCodeAt(i)] = i;

/**
 * A message id as the 16 bytes of the lean envelope (protocol.md §9), or undefined when the id is
 * not a canonical ULID: 26 characters of upper-case Crockford base32 whose first is 0-7 (128 bits).
 * Any other id (an idempotency key of the caller's own) travels as a string.
 */
export function ulidToBytes(id: string): Uint8Array | undefined {
  if (id.length !== 26) return undefined;
  const out = new Uint8Array(16);
  // 26 × 5 = 130 bits, of which the top 2 must be 0: read from the last character up.
  let acc = 0;
  let bits = 0;
  let at = 15;
  for (let i = 25; i >= 0; i--) {
    const c = id.charCodeAt(i);
    const v = c < 128 ? (CROCKFORD_VALUE[c] ?? -1) : -1;
    if (v < 0) return undefined;
    acc |= v << bits;
    bits += 5;
    if (bits >= 8 && at >= 0) {
      out[at--] = acc & 0xff;
      acc >>>= 8;
      bits -= 8;
    }
  }
  return acc === 0 ? out : undefined;
}

/** ulidFromBytes' character codes, reused: a server turns every lean INVOKE's id into its string. */
const ULID_CODES: number[] = new Array<number>(26).fill(0);

/** The canonical ULID string of a 16-byte message id (protocol.md §9): what receivers compare and dedup by. */
export function ulidFromBytes(bytes: Uint8Array): string {
  const codes = ULID_CODES;
  let acc = 0;
  let bits = 0;
  let at = 25;
  for (let i = 15; i >= 0; i--) {
    acc |= (bytes[i] ?? 0) << bits;
    bits += 8;
    while (bits >= 5) {
      codes[at--] = CROCKFORD_CODES[acc & 31] ?? 0;
      acc >>>= 5;
      bits -= 5;
    }
  }
  codes[0] = CROCKFORD_CODES[acc & 31] ?? 0; // the top 3 bits
  return String.fromCharCode.apply(null, codes);
}

/**
 * Allocates request IDs from one half of the 16-bit space and wraps around, skipping IDs
 * still in use (ids are session-scoped and survive a resume).
 */
export class RequestIdAllocator {
  private next: number;
  private readonly min: number;
  private readonly max: number;

  constructor(side: 'client' | 'server') {
    this.min = side === 'client' ? RequestIdSpace.CLIENT_MIN : RequestIdSpace.SERVER_MIN;
    this.max = side === 'client' ? RequestIdSpace.CLIENT_MAX : RequestIdSpace.SERVER_MAX;
    this.next = this.min;
  }

  allocate(inUse: (id: number) => boolean): number {
    const span = this.max - this.min + 1;
    for (let i = 0; i < span; i++) {
      const id = this.next;
      this.next = id === this.max ? this.min : id + 1;
      if (!inUse(id)) return id;
    }
    throw new AgentSocketError('TOO_MANY_REQUESTS', `all ${span} request ids are in use`);
  }

  /** True when `id` belongs to the half this allocator hands out. */
  owns(id: number): boolean {
    return id >= this.min && id <= this.max;
  }

  /** True when `id` belongs to the half `side` hands out. */
  static owns(side: 'client' | 'server', id: number): boolean {
    return RequestIdSpace.ownsRequestId(side, id);
  }
}
