import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Packages whose versions shape the figures, found where this app resolves them. */
const PACKAGES = [
  '@agentsocket/core',
  '@agentsocket/ws',
  '@agentsocket/socketio',
  '@agentsocket/mcp',
  'ws',
  'socket.io',
  'socket.io-client',
  '@modelcontextprotocol/sdk',
  'zod',
] as const;

/** msgpackr (the hand-written RPC reference) is the bench kit's dependency, not this app's. */
const NESTED: Record<string, string> = { msgpackr: '../../../../packages/bench-kit/node_modules/msgpackr/package.json' };

export function packageVersions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of PACKAGES) out[name] = versionAt(`../../node_modules/${name}/package.json`);
  for (const [name, path] of Object.entries(NESTED)) out[name] = versionAt(path);
  return out;
}

function versionAt(relative: string): string {
  try {
    const parsed: unknown = JSON.parse(readFileSync(fileURLToPath(new URL(relative, import.meta.url)), 'utf8'));
    if (typeof parsed === 'object' && parsed !== null && 'version' in parsed && typeof parsed.version === 'string') return parsed.version;
  } catch {
    // not installed where expected
  }
  return 'unknown';
}
