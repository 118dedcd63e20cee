import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

type Arg = string | number | Buffer | Uint8Array;

/** A Lua script run by its SHA; loaded on every (re)connect so order on a connection is kept. */
export class LuaScript {
  readonly lua: string;
  readonly sha: string;

  constructor(lua: string) {
    this.lua = lua;
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  /** Runs the script; bulk replies come back as Buffers. */
  run(client: Redis, keys: string[], args: Arg[]): Promise<unknown> {
    return this.send(client, 'evalshaBuffer', 'evalBuffer', keys, args);
  }

  /**
   * Runs the script; bulk replies come back as strings (decoded as UTF-8), which costs less than
   * a Buffer each: for scripts whose replies hold only text.
   */
  runText(client: Redis, keys: string[], args: Arg[]): Promise<unknown> {
    return this.send(client, 'evalsha', 'eval', keys, args);
  }

  private async send(client: Redis, bySha: CommandName, byBody: CommandName, keys: string[], args: Arg[]): Promise<unknown> {
    const tail: Array<string | number | Buffer> = [keys.length];
    for (const k of keys) tail.push(k);
    for (const a of args) tail.push(toArg(a));
    try {
      return await command(client, bySha)(this.sha, ...tail);
    } catch (error) {
      // Someone ran SCRIPT FLUSH: send the body (this one call may then run after later ones).
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return command(client, byBody)(this.lua, ...tail);
    }
  }
}

type CommandName = 'evalshaBuffer' | 'evalBuffer' | 'evalsha' | 'eval';

type BufferCommand = (...args: Array<string | number | Buffer>) => Promise<unknown>;

/**
 * ioredis's named commands (the Buffer variants are there at run time for every command, missing
 * from its types).
 * Named, not callBuffer('EVALSHA', …): with enableAutoPipelining, callBuffer loses its command
 * name, and a named command is batched like any other.
 */
function command(client: Redis, name: CommandName): BufferCommand {
  const fn: unknown = Reflect.get(client, name);
  if (typeof fn !== 'function') throw new TypeError(`this ioredis has no ${name}`);
  return (...args) => Reflect.apply(fn, client, args);
}

function toArg(a: Arg): string | number | Buffer {
  return a instanceof Uint8Array && !Buffer.isBuffer(a) ? Buffer.from(a.buffer, a.byteOffset, a.byteLength) : a;
}

export async function loadScripts(client: Redis, scripts: LuaScript[]): Promise<void> {
  await Promise.all(scripts.map((s) => client.script('LOAD', s.lua)));
}

/** Lua: the server's clock in ms (all nodes compare against one clock). */
export const LUA_NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/** Reads a reply value as a Buffer, or undefined for nil. Throws on anything else. */
export function replyBuffer(value: unknown, what: string): Buffer | undefined {
  if (value === null) return undefined;
  if (Buffer.isBuffer(value)) return value;
  throw new TypeError(`unexpected Redis reply for ${what}`);
}

export function replyInt(value: unknown, what: string): number {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  throw new TypeError(`unexpected Redis reply for ${what}`);
}

export function replyArray(value: unknown, what: string): unknown[] {
  if (Array.isArray(value)) return value;
  throw new TypeError(`unexpected Redis reply for ${what}`);
}

/** Reads a bulk string reply (Buffer) as text. */
export function replyText(value: unknown, what: string): string {
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'string') return value;
  throw new TypeError(`unexpected Redis reply for ${what}`);
}
