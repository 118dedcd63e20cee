import { ErrorCode, ProtocolError } from '@agentsocket/core';
import { type ElicitRequestFormParams, ElicitRequestFormParamsSchema, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';

/** An agent's question to its caller (ctx.invokePeer) as an MCP form elicitation. */
export interface ElicitationPlan {
  readonly params: ElicitRequestFormParams;
  /** Turns the user's answer into the value the agent's invokePeer call resolves with. */
  answer(result: ElicitResult): unknown;
}

const RequestedSchema = ElicitRequestFormParamsSchema.shape.requestedSchema;
const MESSAGE_KEYS = ['message', 'question', 'q', 'prompt', 'text'] as const;

/**
 * Plans the elicitation for `ctx.invokePeer(tool, args)`. The message is the first string among
 * args.message, .question, .q, .prompt and .text (or args itself when it is a string). With
 * args.requestedSchema (MCP's flat form schema) the agent gets the submitted object; otherwise the
 * user is asked for one string, `answer` (one of args.options when that is a list of strings), and
 * the agent gets that string.
 */
export function planElicitation(tool: string, args: unknown): ElicitationPlan {
  const message = messageOf(tool, args);
  const custom = typeof args === 'object' && args !== null ? RequestedSchema.safeParse(Reflect.get(args, 'requestedSchema')) : undefined;
  if (custom?.success) {
    return { params: { mode: 'form', message, requestedSchema: custom.data }, answer: (r) => accepted(tool, r) };
  }
  const options = optionsOf(args);
  const answer = options ? { type: 'string' as const, title: tool, enum: options } : { type: 'string' as const, title: tool };
  return {
    params: { mode: 'form', message, requestedSchema: { type: 'object', properties: { answer }, required: ['answer'] } },
    answer: (r) => accepted(tool, r)['answer'],
  };
}

/** The error an agent's invokePeer gets when the MCP client cannot answer questions. */
export function elicitationUnsupported(tool: string): ProtocolError {
  return new ProtocolError(
    ErrorCode.TOOL_NOT_FOUND,
    `cannot ask the caller via "${tool}": the MCP client did not declare the elicitation (form) capability`,
    { data: { reason: 'elicitation-unsupported' } },
  );
}

function accepted(tool: string, result: ElicitResult): Record<string, unknown> {
  switch (result.action) {
    case 'accept':
      return result.content ?? {};
    case 'decline':
      throw new ProtocolError(ErrorCode.FORBIDDEN, `the user declined to answer "${tool}"`, { data: { action: 'decline' } });
    case 'cancel':
      throw new ProtocolError(ErrorCode.INTERRUPTED, `the user dismissed "${tool}" without answering`, { data: { action: 'cancel' } });
  }
}

function optionsOf(args: unknown): string[] | undefined {
  const v: unknown = typeof args === 'object' && args !== null ? Reflect.get(args, 'options') : undefined;
  if (!Array.isArray(v) || v.length === 0) return undefined;
  const strings = v.filter((o): o is string => typeof o === 'string');
  return strings.length === v.length ? strings : undefined;
}

function messageOf(tool: string, args: unknown): string {
  if (typeof args === 'string') return args;
  if (typeof args === 'object' && args !== null) {
    for (const key of MESSAGE_KEYS) {
      const v: unknown = Reflect.get(args, key);
      if (typeof v === 'string' && v.length > 0) return v;
    }
  }
  return `${tool}: ${JSON.stringify(args ?? {})}`;
}
