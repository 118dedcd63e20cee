import type { Codec } from '@agentsocket/core';
import { createCodec } from '@agentsocket/core/internal';

/** Encodings of request bodies and frame payloads (docs/relay.md §1): ASP's two codecs. */
export type RelayCodecName = 'json' | 'msgpack';

export const CONTENT_TYPES: Record<RelayCodecName, string> = { json: 'application/json', msgpack: 'application/msgpack' };

/** The codec named by a request's Content-Type (parameters ignored), or undefined for any other type. */
export function codecOfContentType(contentType: string | null | undefined): RelayCodecName | undefined {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  if (type === CONTENT_TYPES.json) return 'json';
  if (type === CONTENT_TYPES.msgpack) return 'msgpack';
  return undefined;
}

const codecs = new Map<RelayCodecName, Codec>();

/** core's codec of that name: MessagePack and JSON exactly as on the ASP wire (protocol.md §4). */
export function relayCodec(name: RelayCodecName): Codec {
  let codec = codecs.get(name);
  if (!codec) {
    codec = createCodec(name);
    codecs.set(name, codec);
  }
  return codec;
}
