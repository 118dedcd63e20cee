import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StdioServerParameters } from '@modelcontextprotocol/sdk/client/stdio.js';

const require = createRequire(import.meta.url);
const packageRoot = fileURLToPath(new URL('..', import.meta.url));

/** How to spawn a TypeScript fixture as a real child process (source conditions, tsx loader). */
export function fixtureProcess(name: string): StdioServerParameters {
  return {
    command: process.execPath,
    args: ['--conditions=@agentsocket/source', '--import', 'tsx', fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))],
    cwd: packageRoot,
    stderr: 'inherit',
  };
}

/** The stock MCP reference server from npm, run from node_modules over stdio. */
export function everythingServer(): StdioServerParameters {
  return {
    command: process.execPath,
    args: [join(dirname(require.resolve('@modelcontextprotocol/server-everything/package.json')), 'dist/index.js'), 'stdio'],
    cwd: packageRoot,
    stderr: 'ignore',
  };
}

/** A promise with its resolver, to wait for an event instead of sleeping. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Resolves with the next value `subscribe` delivers that passes `test`. */
export function nextEvent<T>(subscribe: (listener: (value: T) => void) => () => void, test: (value: T) => boolean = () => true): Promise<T> {
  return new Promise<T>((resolve) => {
    const off = subscribe((value) => {
      if (!test(value)) return;
      off();
      resolve(value);
    });
  });
}
