/**
 * Payload profiles: what one call carries. Every program measures every profile the same way,
 * and every variant sends the same object (the raw ws echo: a message of the same size as our
 * INVOKE frame for it).
 */

/** A request/response profile: one call of `tool` with `args`; the tool returns its arguments. */
export interface CallProfile {
  readonly id: CallProfileId;
  /** Shown in tables. */
  readonly title: string;
  readonly tool: string;
  readonly args: Readonly<Record<string, unknown>>;
  /** A top-level string field of `args` every reply must carry back unchanged (a cheap check, the same for every variant). */
  readonly checkKey: string;
}

export type CallProfileId = 'echo' | 'tool-call' | 'args-1k' | 'args-16k';

/** The small echo every earlier run measured: a tool that declares a JSON Schema and returns its arguments. */
export const ECHO_TOOL = 'echo';
/** A tool with no schema that returns its arguments, as most tools an agent exposes. */
export const CALL_TOOL = 'call';

/** The echo tool's input schema, so validation is part of the small echo's cost. */
export const ECHO_SCHEMA = {
  type: 'object',
  properties: { text: { type: 'string' }, n: { type: 'integer' } },
  required: ['text'],
} as const;

/** 50 characters of prompt-like text. */
const TEXT_50 = 'Summarise the latest quarterly report in 3 lines, ';

/** Records of mixed field types until the arguments are `bytes` long as JSON (within one record). */
function structuredArgs(bytes: number): Record<string, unknown> {
  const records: Array<Record<string, unknown>> = [];
  const args = { agent: 'bench', input: { query: 'rank these records by score', records } };
  for (let i = 0; JSON.stringify(args).length < bytes; i++) {
    records.push({ id: i, name: `record-${i}`, score: ((i * 37) % 100) / 8, tags: ['alpha', 'beta'], active: i % 2 === 0 });
  }
  return args;
}

export const CALL_PROFILES: readonly CallProfile[] = [
  { id: 'echo', title: 'small echo', tool: ECHO_TOOL, args: { text: 'hello from the bench', n: 42 }, checkKey: 'text' },
  {
    id: 'tool-call',
    title: 'typical tool call',
    tool: CALL_TOOL,
    args: { agent: 'bench', input: { text: TEXT_50, n: 3, temperature: 0.7, tags: ['search', 'summary'] } },
    checkKey: 'agent',
  },
  { id: 'args-1k', title: '1 KiB structured argument', tool: CALL_TOOL, args: structuredArgs(1024), checkKey: 'agent' },
  { id: 'args-16k', title: '16 KiB structured argument', tool: CALL_TOOL, args: structuredArgs(16 * 1024), checkKey: 'agent' },
];

export const CALL_PROFILE_IDS: readonly CallProfileId[] = CALL_PROFILES.map((p) => p.id);

export function callProfile(id: CallProfileId): CallProfile {
  const p = CALL_PROFILES.find((x) => x.id === id);
  if (!p) throw new Error(`no call profile "${id}"`);
  return p;
}

/** The streamed profile: a completion of 200 tokens of 20 bytes each. */
export const STREAM_PROFILE = { id: 'stream', title: 'streamed completion, 200 × 20-byte tokens', tokens: 200, token: 'token-0123456789abcd' } as const;

/** Checks a reply against its profile: the same cheap check for every variant. */
export function checkReply(profile: CallProfile, value: unknown): void {
  const expected = profile.args[profile.checkKey];
  if (typeof value !== 'object' || value === null || !(profile.checkKey in value) || Reflect.get(value, profile.checkKey) !== expected) {
    throw new Error(`${profile.id}: the tool answered ${JSON.stringify(value)?.slice(0, 200)}`);
  }
}

export function checkCount(what: string, got: number, expected: number): void {
  if (got !== expected) throw new Error(`${what}: ${got} chunks arrived, ${expected} were sent`);
}
