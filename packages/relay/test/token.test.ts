import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkToken, mintToken } from '../src/index.js';

const vectors = JSON.parse(readFileSync(new URL('../../../docs/relay-vectors.json', import.meta.url), 'utf8')) as Array<Record<string, unknown>>;

describe('callback tokens (docs/relay.md §5.1)', () => {
  const tokens = vectors.filter((v) => v['kind'] === 'token');
  it.each(tokens.map((v) => [String(v['name']), v] as const))('%s matches the vector', (_name, v) => {
    const secret = String(v['secret']);
    const claims = v['claims'] as { cid: string; ns: string; agent: string; exp: number };
    expect(mintToken(secret, claims)).toBe(v['token']);
    expect(checkToken(secret, String(v['token']), claims.exp - 1)).toEqual({ ok: true, ...claims });
  });

  it('refuses an expired, forged or malformed token with 401', () => {
    const token = mintToken('s', { cid: 'CID', ns: '/', agent: 'a', exp: 2000 });
    expect(checkToken('s', token, 2000)).toMatchObject({ ok: false, status: 401, reason: 'token expired' });
    expect(checkToken('other', token, 1000)).toMatchObject({ ok: false, status: 401, reason: 'token signature does not match' });
    const forged = mintToken('s', { cid: 'OTHER', ns: '/', agent: 'a', exp: 2000 }).split('.')[1];
    expect(checkToken('s', `v2.${forged}.${token.split('.')[2]}`, 1000)).toMatchObject({ ok: false, status: 401, reason: 'token signature does not match' });
    expect(checkToken('s', 'nonsense', 1000)).toMatchObject({ ok: false, status: 401, reason: 'malformed token' });
  });
});
