import type { Codec } from '@agentsocket/core';
import { Decoder, Encoder } from '@msgpack/msgpack';
import { Packr, Unpackr } from 'msgpackr';

/**
 * MessagePack on @msgpack/msgpack with a reused Encoder/Decoder: a stock library, for comparison.
 * Not a session codec: it decodes any extension type (as ExtData) and throws the library's errors.
 */
export function msgpackReferenceCodec(): Codec {
  const encoder = new Encoder({ ignoreUndefined: true });
  const decoder = new Decoder();
  // encodeSharedRef would alias a reused buffer; frames outlive the call, so encode() copies.
  return { name: 'msgpack', encode: (value) => encoder.encode(value), decode: (bytes) => decoder.decode(bytes) };
}

/**
 * msgpackr in plain mode (no records, no structured clone, undefined properties dropped, 64-bit
 * integers as numbers): core's codec before it had its own encoder and decoder, kept to show why.
 * Not a session codec: it accepts what protocol.md §4 refuses (extension types, a nested 0xc1).
 */
export function msgpackrPlainCodec(): Codec {
  // skipValues (drop undefined properties) exists at runtime but not in msgpackr's typings.
  const packr = new Packr({
    useRecords: false,
    moreTypes: false,
    structuredClone: false,
    bundleStrings: false,
    encodeUndefinedAsNil: true,
    skipValues: [undefined],
    int64AsType: 'number',
  } as ConstructorParameters<typeof Packr>[0]);
  const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });
  return { name: 'msgpack', encode: (value) => packr.pack(value), decode: (bytes) => unpackr.unpack(bytes) as unknown };
}
