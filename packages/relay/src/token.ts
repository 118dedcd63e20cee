import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Callback tokens (docs/relay.md §5.1): `<cid>.<exp>.<sig>`, where sig is the hex HMAC-SHA256 of
 * `cb1:<cid>:<exp>` under the relay's callback secret. Opaque to the function.
 */
export function mintToken(secret: string, cid: string, exp: number): string {
  return `${cid}.${exp}.${sign(secret, cid, exp)}`;
}

export type TokenCheck = { ok: true; cid: string; exp: number } | { ok: false; status: 401; reason: string };

export function checkToken(secret: string, token: string, now: number = Date.now()): TokenCheck {
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, status: 401, reason: 'malformed token' };
  const [cid = '', expText = '', sig = ''] = parts;
  if (!/^\d{1,16}$/.test(expText) || !/^[0-9a-f]{64}$/.test(sig) || cid === '') return { ok: false, status: 401, reason: 'malformed token' };
  const exp = Number(expText);
  const expected = Buffer.from(sign(secret, cid, exp), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(sig, 'hex'))) return { ok: false, status: 401, reason: 'token signature does not match' };
  if (exp <= now) return { ok: false, status: 401, reason: 'token expired' };
  return { ok: true, cid, exp };
}

function sign(secret: string, cid: string, exp: number): string {
  return createHmac('sha256', secret).update(`cb1:${cid}:${exp}`).digest('hex');
}
