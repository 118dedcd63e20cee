import { createInterface, type Interface } from 'node:readline';
import type { Delivery, ToolDefinition, ToolInfo } from '@agentsocket/core';
import ora from 'ora';
import { type CodecName, describeMessage, fromHex } from './describe.js';
import { openSession, type SessionOptions } from './session.js';

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Standard input, read line by line on demand (answers to the agent's questions, hex to decode). */
  input: NodeJS.ReadableStream;
  /** True when a person is at the terminal: spinners and prompts. */
  interactive: boolean;
}

/** `tools`: the agent's name and each tool with its input schema. */
export async function listTools(session: SessionOptions, io: Io, json: boolean): Promise<void> {
  const client = await openSession(session);
  try {
    const tools = client.tools;
    const agent = client.agent;
    if (json) {
      io.out(`${JSON.stringify({ agent: agent?.name ?? null, version: agent?.version ?? null, tools }, null, 2)}\n`);
      return;
    }
    io.out(`agent ${agent?.name ?? '(unnamed)'}${agent?.version ? ` ${agent.version}` : ''}: ${tools.length} tool${tools.length === 1 ? '' : 's'}\n`);
    for (const t of tools) io.out(formatTool(t));
  } finally {
    await client.close();
  }
}

function formatTool(t: ToolInfo): string {
  const lines = [`\n${t.name}${t.description ? `  ${t.description}` : ''}\n`];
  if (t.inputSchema !== undefined) lines.push(`  input: ${JSON.stringify(t.inputSchema)}\n`);
  return lines.join('');
}

export interface CallOptions {
  tool: string;
  args: unknown;
  delivery?: Delivery | undefined;
  timeoutMs?: number | undefined;
  /** Fixed answers for tools the agent may invoke on this end (name → value). */
  answers: Map<string, unknown>;
  /** Tools the agent may invoke here whose answers are read from standard input. */
  ask: string[];
  json: boolean;
}

/**
 * `call`: invokes a tool, writes its chunks as they arrive (strings as they are, other values as
 * JSON lines), then its result as JSON. With --json every event is one JSON line instead.
 */
export async function callTool(session: SessionOptions, call: CallOptions, io: Io): Promise<void> {
  let lines: Interface | undefined;
  const live = io.interactive && !call.json;
  // Silent unless a person watches: a disabled ora still prints a line per start().
  const spinner = ora({ text: `calling ${call.tool}`, stream: process.stderr, isEnabled: live, isSilent: !live, discardStdin: false });
  const tools: Record<string, ToolDefinition> = {};
  for (const [name, value] of call.answers) tools[name] = { description: 'answered from the command line', handler: () => value };
  for (const name of call.ask) {
    tools[name] = {
      description: 'answered on standard input',
      handler: async (args: unknown) => {
        spinner.stop();
        lines ??= createInterface({ input: io.input, terminal: false });
        if (io.interactive) io.err(`\nthe agent asks ${name}(${JSON.stringify(args)}); answer (JSON or text): `);
        const line = await nextLine(lines, name);
        spinner.start();
        return parseLoose(line);
      },
    };
  }
  const client = await openSession({ ...session, tools });
  spinner.start();
  let ended = false;
  try {
    const invocation = client.invoke(call.tool, call.args, {
      // --json prints the metrics: ask for them (the lean envelope sends them only when asked).
      ...(call.json ? { metrics: true } : {}),
      ...(call.delivery === undefined ? {} : { delivery: call.delivery }),
      ...(call.timeoutMs === undefined ? {} : { timeoutMs: call.timeoutMs }),
    });
    let chunks = 0;
    let lastWasText = false;
    for await (const chunk of invocation) {
      chunks++;
      spinner.text = `${call.tool}: ${chunks} chunk${chunks === 1 ? '' : 's'}`;
      if (call.json) {
        io.out(`${JSON.stringify({ chunk })}\n`);
      } else if (typeof chunk === 'string') {
        spinner.clear();
        io.out(chunk);
        lastWasText = true;
        spinner.render();
      } else {
        spinner.clear();
        io.out(`${lastWasText ? '\n' : ''}${JSON.stringify(chunk)}\n`);
        lastWasText = false;
      }
    }
    const result = await invocation.result;
    ended = true;
    spinner.stop();
    if (call.json) io.out(`${JSON.stringify({ result: result.value ?? null, metrics: result.metrics ?? null })}\n`);
    else io.out(`${lastWasText ? '\n' : ''}${JSON.stringify(result.value ?? null, null, 2)}\n`);
  } finally {
    if (!ended) spinner.stop();
    lines?.close();
    await client.close();
  }
}

async function nextLine(lines: Interface, tool: string): Promise<string> {
  const iterator = lines[Symbol.asyncIterator]();
  const next = await iterator.next();
  if (next.done) throw new Error(`the agent invoked ${tool} but standard input has no more answers`);
  return String(next.value);
}

/** JSON when it parses, else the text itself. */
export function parseLoose(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** `decode`: each argument (or each line of standard input) is one message in hex; prints its frames annotated. */
export async function decodeHex(hexes: string[], codec: CodecName, io: Io): Promise<number> {
  let inputs = hexes;
  if (inputs.length === 0) {
    inputs = [];
    const lines = createInterface({ input: io.input, terminal: false });
    for await (const line of lines) if (line.trim() !== '') inputs.push(line);
  }
  let failures = 0;
  for (const hex of inputs) {
    try {
      const frames = describeMessage(fromHex(hex), codec);
      io.out(`${JSON.stringify(frames.length === 1 ? frames[0] : { batch: frames }, null, 2)}\n`);
    } catch (error) {
      failures++;
      io.out(`${JSON.stringify({ error: error instanceof Error ? error.message : String(error), hex: hex.trim() })}\n`);
    }
  }
  return failures;
}
