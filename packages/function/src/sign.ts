/**
 * Request signatures (docs/relay.md §2): HMAC-SHA256 with WebCrypto, so the same code runs on
 * Node, workerd and any runtime with `crypto.subtle`.
 */

/** Header with the signing time, ms since the epoch, decimal. */
export const TIMESTAMP_HEADER = 'x-asp-timestamp';
/** Header with the signature: `v1=` and 64 lowercase hex digits. */
export const SIGNATURE_HEADER = 'x-asp-signature';
/** How far a timestamp may be from the function's clock, ms. */
export const DEFAULT_MAX_SKEW_MS = 300_000;

const encoder = new TextEncoder();

/** The bytes that are signed: `v1:<timestamp>:<METHOD>:<endpoint>:` followed by the body. */
export function canonicalBytes(timestamp: string, method: string, endpoint: string, body: Uint8Array): Uint8Array {
  const head = encoder.encode(canonicalHead(timestamp, method, endpoint));
  const out = new Uint8Array(head.byteLength + body.byteLength);
  out.set(head, 0);
  out.set(body, head.byteLength);
  return out;
}

/** Imported keys by secret: importing one costs more than the HMAC itself. A few secrets at most. */
type HmacKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;
const keys = new Map<string, Promise<HmacKey>>();
const MAX_KEYS = 16;

function hmacKey(secret: string): Promise<HmacKey> {
  let key = keys.get(secret);
  if (key === undefined) {
    key = crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    if (keys.size >= MAX_KEYS) keys.delete(keys.keys().next().value as string);
    keys.set(secret, key);
    // A failed import is not kept: the next request tries again.
    key.catch(() => keys.delete(secret));
  }
  return key;
}

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

function fromHex(hex: string): Uint8Array | undefined {
  if (!/^(?:[0-9a-f]{2})*$/.test(hex)) return undefined;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/**
 * Node's synchronous HMAC, where the runtime has it (Node ≥ 20.16, Deno, Bun; workerd with
 * nodejs_compat): WebCrypto's promise goes through a worker thread, which costs more on a loaded
 * machine than the HMAC. Elsewhere WebCrypto is used; both give the same bytes.
 */
interface NodeHmac {
  createHmac(algorithm: 'sha256', key: object): NodeHmacState;
  createSecretKey(key: Uint8Array): object;
  timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean;
}
interface NodeHmacState {
  update(data: Uint8Array | string, encoding?: 'latin1'): NodeHmacState;
  digest(): Uint8Array;
}
const nodeCrypto: NodeHmac | undefined = (() => {
  try {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    const mod = proc?.getBuiltinModule?.('node:crypto') as Partial<NodeHmac> | undefined;
    return typeof mod?.createHmac === 'function' && typeof mod.createSecretKey === 'function' && typeof mod.timingSafeEqual === 'function'
      ? (mod as NodeHmac)
      : undefined;
  } catch {
    return undefined;
  }
})();

/** Node key objects by secret: making one per request (from the string) cost more than the HMAC. */
const nodeKeys = new Map<string, object>();

/** Node's HMAC of the signed message (`head` then `body`), without copying the body into one buffer. */
function nodeHmac(crypto: NodeHmac, secret: string, head: string, body: Uint8Array): Uint8Array {
  let key = nodeKeys.get(secret);
  if (key === undefined) {
    key = crypto.createSecretKey(encoder.encode(secret));
    if (nodeKeys.size >= MAX_KEYS) nodeKeys.delete(nodeKeys.keys().next().value as string);
    nodeKeys.set(secret, key);
  }
  // The head is ASCII (digits, a method, an endpoint name): latin1 gives its exact bytes.
  return crypto.createHmac('sha256', key).update(head, 'latin1').update(body).digest();
}

function canonicalHead(timestamp: string, method: string, endpoint: string): string {
  return `v1:${timestamp}:${method.toUpperCase()}:${endpoint}:`;
}

async function hmacBytes(secret: string, message: Uint8Array): Promise<Uint8Array> {
  if (nodeCrypto) return nodeHmac(nodeCrypto, secret, '', message);
  return new Uint8Array(await crypto.subtle.sign('HMAC', await hmacKey(secret), message));
}

/** HMAC-SHA256 of `message` under `secret`, as lowercase hex. */
export async function hmacHex(secret: string, message: Uint8Array): Promise<string> {
  return toHex(await hmacBytes(secret, message));
}

/** The two signature headers for one request. */
export async function signRequest(
  secret: string,
  method: string,
  endpoint: string,
  body: Uint8Array,
  now: number = Date.now(),
): Promise<Record<string, string>> {
  const timestamp = String(Math.floor(now));
  const hex = nodeCrypto
    ? toHex(nodeHmac(nodeCrypto, secret, canonicalHead(timestamp, method, endpoint), body))
    : await hmacHex(secret, canonicalBytes(timestamp, method, endpoint, body));
  return { [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: `v1=${hex}` };
}

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

/** Checks a request's signature headers; the comparison takes the same time wherever they differ (timingSafeEqual or crypto.subtle.verify). */
export async function verifyRequest(
  secret: string,
  headers: { get(name: string): string | null },
  method: string,
  endpoint: string,
  body: Uint8Array,
  options: { now?: number; maxSkewMs?: number } = {},
): Promise<SignatureCheck> {
  const timestamp = headers.get(TIMESTAMP_HEADER);
  const signature = headers.get(SIGNATURE_HEADER);
  if (timestamp === null || signature === null) return { ok: false, reason: 'missing signature headers' };
  if (!/^\d{1,16}$/.test(timestamp)) return { ok: false, reason: 'malformed timestamp' };
  const skew = Math.abs((options.now ?? Date.now()) - Number(timestamp));
  if (skew > (options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS)) return { ok: false, reason: 'timestamp outside the allowed window' };
  const hex = /^v1=([0-9a-f]{64})$/.exec(signature)?.[1];
  const given = hex === undefined ? undefined : fromHex(hex);
  if (given === undefined) return { ok: false, reason: 'malformed signature' };
  const valid = nodeCrypto
    ? nodeCrypto.timingSafeEqual(nodeHmac(nodeCrypto, secret, canonicalHead(timestamp, method, endpoint), body), given)
    : await crypto.subtle.verify('HMAC', await hmacKey(secret), given, canonicalBytes(timestamp, method, endpoint, body));
  return valid ? { ok: true } : { ok: false, reason: 'signature does not match' };
}
