import { encodeFrame, Flag, FrameType } from '@agentsocket/core/transport';
import { msgpackCodec, ulidFactory } from '@agentsocket/core/internal';

/** The one tool every variant calls: it returns its arguments. */
export const ECHO_TOOL = 'echo';

/** Small arguments, as a typical tool call carries. */
export const ECHO_ARGS = { text: 'hello from the bench', n: 42 } as const;

/** The echo tool declares its input like a real tool would, so validation is part of the cost. */
export const ECHO_SCHEMA = {
  type: 'object',
  properties: { text: { type: 'string' }, n: { type: 'integer' } },
  required: ['text'],
} as const;

/**
 * A realistic INVOKE payload as a client builds it (see Peer.start): ULID message id, tool, args,
 * delivery level and the session sequence number of a reliable frame.
 */
export function sampleInvokePayload(): Record<string, unknown> {
  return { id: ulidFactory()(), tool: ECHO_TOOL, args: { ...ECHO_ARGS }, dl: 1, sq: 123_456 };
}

/**
 * Bytes of the INVOKE frame our client sends for one echo call at steady state, computed with
 * core's own codec and frame encoder: header + { id, tool, args, sq } (at-least-once leaves `dl`
 * out; sq above 65535 takes 5 bytes). The raw ws echo sends messages of exactly this size.
 */
export function invokeFrameBytes(): number {
  const payload = { id: ulidFactory()(), tool: ECHO_TOOL, args: { ...ECHO_ARGS }, sq: 123_456 };
  return encodeFrame(FrameType.INVOKE, Flag.RELIABLE, 1, msgpackCodec().encode(payload)).byteLength;
}
