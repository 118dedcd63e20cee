import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';

/** What a callback token says: the connection, where its session is (namespace and agent id, so another relay can reach it through the hub), and when it expires. */
export interface TokenClaims {
  cid: string;
  ns: string;
  agent: string;
  exp: number;
}

/**
 * Callback tokens (docs/relay.md §5.1): `v2.<claims>.<sig>`, where `<claims>` is the base64url of
 * the JSON `{"cid","ns","agent","exp"}` and `<sig>` the hex HMAC-SHA256 of `cb2:<claims>` under the
 * relay's callback secret. Opaque to the function.
 */
export function mintToken(secret: string, claims: TokenClaims): string {
  const body = Buffer.from(JSON.stringify({ cid: claims.cid, ns: claims.ns, agent: claims.agent, exp: claims.exp })).toString('base64url');
  return `v2.${body}.${sign(secret, body)}`;
}

export type TokenCheck = ({ ok: true } & TokenClaims) | { ok: false; status: 401; reason: string };

export function checkToken(secret: string, token: string, now: number = Date.now()): TokenCheck {
  const parts = token.split('.');
  const [version = '', body = '', sig = ''] = parts;
  if (parts.length !== 3 || version !== 'v2' || !/^[A-Za-z0-9_-]{1,2048}$/.test(body) || !/^[0-9a-f]{64}$/.test(sig)) {
    return { ok: false, status: 401, reason: 'malformed token' };
  }
  const expected = Buffer.from(sign(secret, body), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(sig, 'hex'))) return { ok: false, status: 401, reason: 'token signature does not match' };
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, status: 401, reason: 'malformed token' };
  }
  if (
    typeof claims !== 'object' || claims === null || !('cid' in claims) || !('ns' in claims) || !('agent' in claims) || !('exp' in claims) ||
    typeof claims.cid !== 'string' || typeof claims.ns !== 'string' || typeof claims.agent !== 'string' || typeof claims.exp !== 'number'
  ) {
    return { ok: false, status: 401, reason: 'malformed token' };
  }
  if (claims.exp <= now) return { ok: false, status: 401, reason: 'token expired' };
  return { ok: true, cid: claims.cid, ns: claims.ns, agent: claims.agent, exp: claims.exp };
}

/** Key objects by secret: preparing the key from the string on every token cost more than the HMAC. A few secrets at most. */
const keys = new Map<string, KeyObject>();

function sign(secret: string, body: string): string {
  let key = keys.get(secret);
  if (key === undefined) {
    key = createSecretKey(Buffer.from(secret, 'utf8'));
    if (keys.size >= 16) keys.delete(keys.keys().next().value as string);
    keys.set(secret, key);
  }
  return createHmac('sha256', key).update(`cb2:${body}`).digest('hex');
}
