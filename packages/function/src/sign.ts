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
  const head = encoder.encode(`v1:${timestamp}:${method.toUpperCase()}:${endpoint}:`);
  const out = new Uint8Array(head.byteLength + body.byteLength);
  out.set(head, 0);
  out.set(body, head.byteLength);
  return out;
}

async function hmacKey(secret: string): ReturnType<typeof crypto.subtle.importKey> {
  return crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
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

/** HMAC-SHA256 of `message` under `secret`, as lowercase hex. */
export async function hmacHex(secret: string, message: Uint8Array): Promise<string> {
  const signature = await crypto.subtle.sign('HMAC', await hmacKey(secret), message);
  return toHex(new Uint8Array(signature));
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
  const hex = await hmacHex(secret, canonicalBytes(timestamp, method, endpoint, body));
  return { [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: `v1=${hex}` };
}

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

/** Checks a request's signature headers; the comparison takes the same time wherever they differ (crypto.subtle.verify). */
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
  const valid = await crypto.subtle.verify('HMAC', await hmacKey(secret), given, canonicalBytes(timestamp, method, endpoint, body));
  return valid ? { ok: true } : { ok: false, reason: 'signature does not match' };
}
