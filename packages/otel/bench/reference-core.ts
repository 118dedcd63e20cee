import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The same-run reference for "instrumentation off costs nothing": a copy of core's current source
 * with the two instrumentation hooks cut out (the client's per-call check, the server's
 * per-connection one), written under core's node_modules (ignored by git; core's dependencies
 * resolve from there). Fails loudly if the hooks no longer read as expected.
 */
export function writeReferenceCore(): string {
  const core = fileURLToPath(new URL('../../core/', import.meta.url));
  const dir = `${core}node_modules/.otel-bench-reference/`;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(`${core}src`, `${dir}src`, { recursive: true });
  cut(`${dir}src/client.ts`, /\n\s*const hook = this\.options\.instrumentation;\n\s*if \(hook\) return hook\.invoke<T, C>\([^\n]*\n/, '\n');
  cut(`${dir}src/server.ts`, /const transport = this\.options\.instrumentation\?\.connection\?\.\(accepted, info\) \?\? accepted;/, 'const transport = accepted;');
  return `${dir}src/index.ts`;
}

function cut(file: string, pattern: RegExp, replacement: string): void {
  const text = readFileSync(file, 'utf8');
  if (!pattern.test(text)) throw new Error(`bench: ${file} no longer has the hook this reference removes (${pattern})`);
  writeFileSync(file, text.replace(pattern, replacement));
}
