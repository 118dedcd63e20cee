import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeFrame } from '@agentsocket/core/internal';
import { describeMessage, fromHex } from '../src/describe.js';

type Vector = { kind: string; name: string; hex: string; codec?: 'msgpack' | 'json'; decoded?: Record<string, unknown>; frames?: Record<string, unknown>[] };
const vectors = JSON.parse(readFileSync(new URL('../../../docs/test-vectors.json', import.meta.url), 'utf8')) as Vector[];

describe('describeFrame gives the annotated form of docs/test-vectors.json', () => {
  for (const v of vectors) {
    if (v.kind === 'valid' || v.kind === 'rejected') {
      it(v.name, () => {
        const d = describeFrame(fromHex(v.hex), v.codec ?? 'msgpack');
        const { payloadError, ...rest } = d;
        expect(rest).toEqual(v.decoded);
        // The vectors leave the payload out exactly when it does not decode; then we say why.
        expect(payloadError === undefined).toBe(v.decoded?.['payload'] !== undefined);
      });
    }
    if (v.kind === 'batch') {
      it(v.name, () => {
        expect(describeMessage(fromHex(v.hex), v.codec ?? 'msgpack')).toEqual(v.frames);
      });
    }
    if (v.kind === 'invalid') {
      it(v.name, () => {
        expect(() => describeFrame(fromHex(v.hex), 'msgpack')).toThrow();
      });
    }
  }

  it('reads hex as people paste it', () => {
    expect(fromHex('0x18 00:00:00 00 00 00 06 81A361636b04').byteLength).toBe(14);
    expect(() => fromHex('18 0')).toThrow(/not hex/);
  });
});
