/** Frames as people paste them (hex) and as a WebSocket message carries them (one frame, or a batch). */
import { HEADER_SIZE, peekHeader } from '@agentsocket/core/transport';
import { type DescribedFrame, describeFrame } from '@agentsocket/core/internal';

export type CodecName = 'msgpack' | 'json';

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Hex as people paste it: any case, spaces, colons or a 0x prefix allowed. */
export function fromHex(text: string): Uint8Array {
  const clean = text.replace(/0x/gi, '').replace(/[\s:,]/g, '');
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) throw new Error(`not hex: "${text.slice(0, 40)}"`);
  return Uint8Array.from(Buffer.from(clean, 'hex'));
}

/**
 * One WebSocket message: a single frame, or several back to back when their headers' lengths tile
 * it exactly (a batch, protocol.md §2). Bytes that do not tile are described as one (bad) frame.
 */
export function describeMessage(bytes: Uint8Array, codec: CodecName): DescribedFrame[] {
  const parts: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.byteLength) {
    const h = peekHeader(bytes.subarray(at));
    const end = h ? at + HEADER_SIZE + h.length : Number.POSITIVE_INFINITY;
    if (end > bytes.byteLength) return [describeFrame(bytes, codec)];
    parts.push(bytes.subarray(at, end));
    at = end;
  }
  return parts.length === 0 ? [describeFrame(bytes, codec)] : parts.map((p) => describeFrame(p, codec));
}
