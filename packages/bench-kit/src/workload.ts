import { leanPayload, msgpackCodec, ulidFactory } from '@agentsocket/core/internal';
import { encodeFrame, Flag, FrameType } from '@agentsocket/core/transport';
import type { CallProfile } from './profiles.js';

/** Streams `count` tokens (STREAM_PROFILE.token), like a model streaming a completion. */
export const STREAM_TOOL = 'stream';

/** Asks the caller a question mid-stream and returns how long the answer took. */
export const ASK_TOOL = 'ask';
/** The tool the client serves for the agent's question (over MCP it becomes an elicitation). */
export const ANSWER_TOOL = 'answer';
export const QUESTION = 'Proceed with the plan?';
export const ANSWER = 'yes';

/** What the ask tool returns: the answer and the question's round trip as the server saw it. */
export interface AskResult {
  answer: string;
  askMs: number;
}

/** Validates an ask result from any transport (it crossed a process boundary). */
export function readAskResult(value: unknown): AskResult {
  if (typeof value === 'object' && value !== null && 'answer' in value && 'askMs' in value) {
    const { answer, askMs } = value;
    if (answer === ANSWER && typeof askMs === 'number' && Number.isFinite(askMs)) return { answer, askMs };
  }
  throw new Error(`ask answered ${JSON.stringify(value)}`);
}

/**
 * Bytes of the INVOKE frame our client sends for one call of `profile` at steady state, computed
 * with core's codec and frame encoder: header + the lean form (the default, protocol.md §6) of
 * { id, tool, args, sq } (at-least-once leaves `dl` out; sq above 65535 takes 5 bytes). The raw
 * ws echo sends messages of exactly this size.
 */
export function invokeFrameBytes(profile: CallProfile): number {
  const payload = leanPayload(FrameType.INVOKE, { id: ulidFactory()(), tool: profile.tool, args: profile.args, sq: 123_456 }, true);
  return encodeFrame(FrameType.INVOKE, Flag.RELIABLE, 1, msgpackCodec().encode(payload)).byteLength;
}
