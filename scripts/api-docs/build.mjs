#!/usr/bin/env node
// Builds the API reference into docs/api/ (not committed) with TypeDoc, from the doc comments of
// every public package's entry points (the `@agentsocket/source` targets of its `exports`).
// TypeDoc runs on TypeScript 5.9 installed here (this folder is not a workspace package); the
// repository itself compiles with TypeScript 7, which has no JavaScript API for TypeDoc.
//
//   node scripts/api-docs/build.mjs      (installs TypeDoc here on first use)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '..', '..');
const sh = (command, args, cwd) => {
  const r = spawnSync(command, args, { cwd, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

if (!existsSync(join(here, 'node_modules', 'typedoc'))) {
  sh('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], here);
}

/** [subpath, source file] for each entry of an exports map (its `@agentsocket/source` target). */
function entries(exports) {
  const out = [];
  for (const [subpath, value] of Object.entries(exports ?? {})) {
    const source = typeof value === 'object' && value !== null ? value['@agentsocket/source'] : undefined;
    const target = typeof source === 'string' ? source : typeof source === 'object' && source !== null ? source.default : undefined;
    if (typeof target === 'string' && !out.some(([, t]) => t === target)) out.push([subpath, target]);
  }
  return out;
}

const generated = join(here, 'entries');
rmSync(generated, { recursive: true, force: true });
mkdirSync(generated);
const entryPoints = [];
for (const dir of readdirSync(join(root, 'packages')).sort()) {
  const file = join(root, 'packages', dir, 'package.json');
  if (!existsSync(file)) continue;
  const manifest = JSON.parse(readFileSync(file, 'utf8'));
  if (manifest.private === true) continue;
  for (const [subpath, target] of entries(manifest.exports)) {
    // One small file per import specifier, so the reference names modules as users import them.
    const specifier = subpath === '.' ? manifest.name : `${manifest.name}/${subpath.slice(2)}`;
    const file = join(generated, `${specifier.replace(/[@/]/g, '_')}.ts`);
    const from = relative(generated, join(root, 'packages', dir, target)).replace(/\.ts$/, '.js');
    writeFileSync(file, `/**\n * ${manifest.description ?? ''}\n * @module ${specifier}\n */\nexport * from '${from}';\n`);
    entryPoints.push(file);
  }
}

sh(
  join(here, 'node_modules', '.bin', 'typedoc'),
  [
    '--options',
    join(here, 'typedoc.json'),
    '--tsconfig',
    join(here, 'tsconfig.json'),
    '--out',
    join(root, 'docs', 'api'),
    ...entryPoints.flatMap((e) => ['--entryPoints', e]),
  ],
  root,
);
