import { parseArgs } from 'node:util';
import { AgentSocketError, type Delivery } from '@agentsocket/core';
import { callTool, decodeHex, type Io, listTools, parseLoose } from './commands.js';
import type { TransportName } from './connect.js';
import type { SessionOptions } from './session.js';

export const USAGE = `agentsocket — talk to any Agent Socket (asp-v1) server

  agentsocket tools <url> [--json]
      Connects and lists the agent's tools with their input schemas.

  agentsocket call <url> <tool> [json-args] [--answer name=json]... [--ask name]...
                   [--delivery at-most-once|at-least-once|exactly-once] [--timeout ms] [--json]
      Invokes a tool and streams its chunks to the terminal (text as it comes, other values as
      JSON lines), then prints its result. The agent may invoke tools on this end: --answer
      serves one with a fixed value, --ask reads each answer from standard input (a prompt
      when a person is at the terminal). --json prints one JSON line per chunk and the result.

  agentsocket decode [hex]... [--codec msgpack|json]
      Decodes frames given in hex (arguments, or one message per line of standard input) into
      the annotated form of docs/test-vectors.json. Several frames in one message (a batch)
      are shown in order.

  Common options:
      --token <t>          bearer token (ws: Authorization header; Socket.IO: auth.token)
      --transport ws|socketio  otherwise ws:// and wss:// mean ws, http:// and https:// Socket.IO
      --namespace </team>  join a team namespace, --name <agent-id> as this agent's id
      --frames             print every frame sent and received, annotated, on standard error
      --attempts <n>       connection attempts before giving up (default 1)

  URLs: ws://host:port/asp (binary WebSocket, path /asp when none is given) or
  http://host:port[/namespace] (Socket.IO; the path is the Socket.IO namespace, default /asp).`;

const DELIVERIES = new Set<Delivery>(['at-most-once', 'at-least-once', 'exactly-once']);

/** A command line that cannot be run (the CLI exits with 2): local code INVALID_OPTIONS. */
export class UsageError extends AgentSocketError {
  override readonly name: string = 'UsageError';

  constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_OPTIONS', message, options);
  }
}

/** Runs one command; resolves to the process exit code. */
export async function run(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      token: { type: 'string' },
      transport: { type: 'string' },
      namespace: { type: 'string' },
      name: { type: 'string' },
      frames: { type: 'boolean', default: false },
      attempts: { type: 'string' },
      json: { type: 'boolean', default: false },
      answer: { type: 'string', multiple: true },
      ask: { type: 'string', multiple: true },
      delivery: { type: 'string' },
      timeout: { type: 'string' },
      codec: { type: 'string', default: 'msgpack' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || command === undefined) {
    io.err(`${USAGE}\n`);
    return command === undefined && !values.help ? 2 : 0;
  }
  if (command === 'decode') {
    if (values.codec !== 'msgpack' && values.codec !== 'json') throw new UsageError(`--codec is msgpack or json, not "${values.codec}"`);
    return (await decodeHex(rest, values.codec, io)) === 0 ? 0 : 1;
  }
  const [url, tool, args] = rest;
  if (url === undefined) throw new UsageError(`${command} needs the server's URL`);
  if (values.transport !== undefined && values.transport !== 'ws' && values.transport !== 'socketio') {
    throw new UsageError(`--transport is ws or socketio, not "${values.transport}"`);
  }
  const session: SessionOptions = {
    url,
    transport: values.transport as TransportName | undefined,
    token: values.token,
    namespace: values.namespace,
    name: values.name,
    connectAttempts: values.attempts === undefined ? undefined : positiveInt(values.attempts, '--attempts'),
    onFrame: values.frames ? (line) => io.err(`${line}\n`) : undefined,
  };
  if (command === 'tools') {
    await listTools(session, io, values.json);
    return 0;
  }
  if (command === 'call') {
    if (tool === undefined) throw new UsageError('call needs a tool name: agentsocket call <url> <tool> [json-args]');
    let parsedArgs: unknown = {};
    if (args !== undefined) {
      try {
        parsedArgs = JSON.parse(args);
      } catch (error) {
        throw new UsageError(`the arguments are not JSON (${error instanceof Error ? error.message : String(error)}): ${args}`);
      }
    }
    const delivery = values.delivery;
    if (delivery !== undefined && !DELIVERIES.has(delivery as Delivery)) {
      throw new UsageError(`--delivery is at-most-once, at-least-once or exactly-once, not "${delivery}"`);
    }
    const answers = new Map<string, unknown>();
    for (const a of values.answer ?? []) {
      const eq = a.indexOf('=');
      if (eq <= 0) throw new UsageError(`--answer takes name=value, not "${a}"`);
      answers.set(a.slice(0, eq), parseLoose(a.slice(eq + 1)));
    }
    await callTool(session, {
      tool,
      args: parsedArgs,
      delivery: delivery as Delivery | undefined,
      timeoutMs: values.timeout === undefined ? undefined : positiveInt(values.timeout, '--timeout'),
      answers,
      ask: values.ask ?? [],
      json: values.json,
    }, io);
    return 0;
  }
  throw new UsageError(`unknown command "${command}" (tools, call or decode)`);
}

function positiveInt(text: string, what: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`${what} takes a positive integer, not "${text}"`);
  return n;
}

/** What the command line prints for an error: its code when it has one, and its cause. */
export function explain(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  const cause = error.cause instanceof Error && !error.message.includes(error.cause.message) ? ` (${error.cause.message})` : '';
  return `${code === undefined ? '' : `${String(code)} `}${error.message}${cause}`;
}

