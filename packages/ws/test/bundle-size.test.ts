import { relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';

/**
 * The browser client over WebSocket (AgentClient + this package's browser connector), bundled as
 * an application would: esbuild, minified, ESM, code splitting on, the `browser` condition. What
 * a page loads before its first call is the entry chunk and the chunks it imports statically;
 * chunks behind a dynamic import (the JSON Schema validator) load only when used. Measured against
 * socket.io-client's browser client bundled the same way, in the same run (docs/benchmarks.md,
 * "Browser bundle").
 */

/** What docs/benchmarks.md states and this test holds: gzip bytes of what a page loads first. */
const TARGET_BYTES = 18_000;
/**
 * What is held: the target itself (17,981 B at the last change, 19 B below it). The serving side
 * (incoming calls, the tool registry, a dedup store), a validator, a MessagePack library or server
 * code pulled back into what a page loads first (a KB or more each) fails it, and so does any
 * growth of the client past 18 KB: make room before adding to what loads first. The ratio to
 * socket.io-client is held to its target (1.37× today).
 */
const CEILING_BYTES = 18_000;
const TARGET_RATIO = 1.4;

interface Measured {
  /** Minified bytes loaded before the first call. */
  minified: number;
  /** The same, gzipped (level 9), chunk by chunk. */
  gzipped: number;
  /** Gzipped bytes of the chunks behind a dynamic import. */
  lazy: number;
  /** Every source file in the chunks loaded first. */
  inputs: string[];
}

async function measure(contents: string, resolveDir: string): Promise<Measured> {
  const outdir = fileURLToPath(new URL('../.bundle-size/', import.meta.url));
  const result = await build({
    stdin: { contents, resolveDir, loader: 'ts', sourcefile: 'entry.ts' },
    bundle: true,
    write: false,
    minify: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outdir,
    conditions: ['@agentsocket/source', 'browser'],
    metafile: true,
    logLevel: 'silent',
  });
  const outputs: Metafile['outputs'] = result.metafile.outputs;
  const entry = Object.keys(outputs).find((path) => outputs[path]?.entryPoint !== undefined);
  if (entry === undefined) throw new Error('no entry chunk');
  // The entry and every chunk reachable from it by static imports.
  const first = new Set<string>([entry]);
  for (const path of first) {
    for (const imported of outputs[path]?.imports ?? []) if (imported.kind === 'import-statement') first.add(imported.path);
  }
  let minified = 0;
  let gzipped = 0;
  let lazy = 0;
  const inputs: string[] = [];
  for (const file of result.outputFiles) {
    const path = relative(process.cwd(), file.path).split(sep).join('/');
    const size = gzipSync(file.contents, { level: 9 }).byteLength;
    if (first.has(path)) {
      minified += file.contents.byteLength;
      gzipped += size;
      inputs.push(...Object.keys(outputs[path]?.inputs ?? {}));
    } else {
      lazy += size;
    }
  }
  return { minified, gzipped, lazy, inputs };
}

const kb = (bytes: number) => `${(bytes / 1000).toFixed(1)} KB`;

describe('browser client bundle size', () => {
  it(`stays within ${kb(CEILING_BYTES)} min+gzip (target ${kb(TARGET_BYTES)}, ${TARGET_RATIO}× socket.io-client), without the JSON Schema validator or server code`, async () => {
    const ours = await measure(
      [
        "import { AgentClient } from '@agentsocket/core/client';",
        "import { wsConnector } from '@agentsocket/ws';",
        'export const connect = (url: string) => new AgentClient({ connect: wsConnector({ url }) }).connect();',
      ].join('\n'),
      fileURLToPath(new URL('.', import.meta.url)),
    );
    const socketIo = await measure("import { io } from 'socket.io-client';\nexport const connect = (url: string) => io(url);", fileURLToPath(new URL('.', import.meta.url)));
    const ratio = ours.gzipped / socketIo.gzipped;
    console.log(
      `browser client over ws: ${kb(ours.minified)} min, ${kb(ours.gzipped)} min+gzip loaded first (+ ${kb(ours.lazy)} on demand); ` +
        `socket.io-client: ${kb(socketIo.minified)} min, ${kb(socketIo.gzipped)} min+gzip; ratio ${ratio.toFixed(2)}× ` +
        `(target ≤ ${kb(TARGET_BYTES)} and ≤ ${TARGET_RATIO}×: ${ours.gzipped <= TARGET_BYTES && ratio <= TARGET_RATIO ? 'met' : 'not met'})`,
    );
    // What a client without JSON Schema tools never loads, and what no client needs.
    expect(ours.inputs.filter((path) => /@cfworker|schema-json|schema-fast|schema-messages/.test(path))).toEqual([]);
    expect(ours.inputs.filter((path) => /msgpackr|@msgpack/.test(path))).toEqual([]);
    // A client that serves no tools loads none of its serving side before its first call.
    expect(ours.inputs.filter((path) => /core\/src\/(incoming-calls|incoming|invoke-context|once|tool-registry|tool-output|schema|dedup|peer-incoming|session-tools|wire-code)\.ts/.test(path))).toEqual([]);
    expect(ours.inputs.filter((path) => /core\/src\/(server|server-session|hub|teams|memory-session-store|journal-gate)\.ts|ws\/src\/(server|upgrade|socket-transport)\.ts/.test(path))).toEqual([]);
    expect(ours.lazy).toBeGreaterThan(0); // the validator is still there, behind a dynamic import
    expect(ours.gzipped).toBeLessThanOrEqual(CEILING_BYTES);
    expect(ratio).toBeLessThanOrEqual(TARGET_RATIO);
    // socket.io-client itself is measured, not assumed: a broken measurement would make any ratio pass.
    expect(socketIo.gzipped).toBeGreaterThan(8_000);
  }, 60_000);
});
