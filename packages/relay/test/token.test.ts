import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkToken, mintToken } from '../src/index.js';

const vectors = JSON.parse(readFileSync(new URL('../../../docs/relay-vectors.json', import.meta.url), 'utf8')) as Array<Record<string, unknown>>;

describe('callback tokens (docs/relay.md §5.1)', () => {
  const tokens = vectors.filter((v) => v['kind'] === 'token');
  it.each(tokens.map((v) => [String(v['name']), v] as const))('%s matches the vector', (_name, v) => {
    const secret = String(v['secret']);
    const cid = String(v['cid']);
    const exp = Number(v['exp']);
    expect(mintToken(secret, cid, exp)).toBe(v['token']);
    expect(checkToken(secret, String(v['token']), exp - 1)).toEqual({ ok: true, cid, exp });
  });

  it('refuses an expired, forged or malformed token with 401', () => {
    const token = mintToken('s', 'CID', 2000);
    expect(checkToken('s', token, 2000)).toMatchObject({ ok: false, status: 401, reason: 'token expired' });
    expect(checkToken('other', token, 1000)).toMatchObject({ ok: false, status: 401, reason: 'token signature does not match' });
    expect(checkToken('s', token.replace('CID', 'CIE'), 1000)).toMatchObject({ ok: false, status: 401 });
    expect(checkToken('s', 'nonsense', 1000)).toMatchObject({ ok: false, status: 401, reason: 'malformed token' });
  });
});
