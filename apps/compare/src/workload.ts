/**
 * The one workload every variant runs. The echo call is apps/bench's (same tool, same
 * arguments), so the raw ws echo carries messages of exactly our INVOKE frame's size.
 */
export { ECHO_ARGS, ECHO_SCHEMA, ECHO_TOOL, invokeFrameBytes } from '@agentsocket/bench/workload';

/** Streams `count` small chunks, like a model streaming tokens. */
export const STREAM_TOOL = 'stream';
/** One chunk: a token-sized string. */
export const CHUNK = 'tok';

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
