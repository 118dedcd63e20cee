#!/usr/bin/env node
// Checks the packages as a user meets them: packs every public package with pnpm (workspace:
// ranges become versions), checks what each tarball ships, installs each one alone with plain
// npm in an empty project (its @agentsocket/* dependencies from their tarballs, everything else
// from the registry), imports every entry point in Node (import and require), type-checks a
// strict program against it under moduleResolution node16 and bundler with skipLibCheck false,
// then runs every project in examples/ against the tarballs. Exits non-zero on any failure.
//
//   node scripts/check-packages.mjs [--skip-build] [--no-examples] [--only=core,ws] [--keep]
//
// Needs: node, npm, the registry (or a warm npm cache), and pnpm through npx.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const only = argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
/** pnpm itself when this runs under `pnpm run`, else the pinned one through npx. */
const execpath = process.env.npm_execpath ?? '';
const [PNPM_CMD, ...PNPM] = /pnpm/.test(execpath) ? [process.execPath, execpath] : ['npx', '--yes', 'pnpm@10.34.8'];
const tsc = join(root, 'node_modules', '.bin', 'tsc');
const NPM_INSTALL = ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'];
/** Entry points that need an optional peer dependency, installed before they are checked. */
const PEER_ENTRIES = { '@agentsocket/socketio': { './server': ['socket.io@^4.8.1'] } };
/** What a TypeScript user on Node has anyway. */
const TYPES_NODE = '@types/node@^20.19.0';

const failures = [];
const started = Date.now();
const work = mkdtempSync(join(tmpdir(), 'agentsocket-packages-'));
const step = (message) => console.log(`\n== ${message} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
const fail = (where, message) => {
  failures.push(`${where}: ${message}`);
  console.log(`  FAIL ${where}: ${message}`);
};
const ok = (where, message) => console.log(`  ok   ${where}: ${message}`);

/** Runs a command; resolves with its exit status and its output (stdout and stderr together). */
function run(command, args, options = {}) {
  const { timeoutMs = 300_000, inherit = false, ...spawnOptions } = options;
  return new Promise((resolvePromise) => {
    const child = spawn(command, args, { ...spawnOptions, stdio: inherit ? 'inherit' : ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout?.on('data', (chunk) => {
      out += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      out += chunk;
    });
    const timer = setTimeout(() => {
      out += `\n(killed after ${timeoutMs} ms)`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      out += String(error);
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      resolvePromise({ ok: status === 0, status, out });
    });
  });
}

/** Runs `task` for every item, at most `limit` at a time (installs wait on the network, not the CPU). */
async function pool(items, limit, task) {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: Math.min(limit, queue.length) }, async () => {
      while (queue.length > 0) await task(queue.shift());
    }),
  );
}

/** Public packages of the workspace, in dependency order (dependencies first). */
function publicPackages() {
  const found = readdirSync(join(root, 'packages'))
    .map((dir) => join(root, 'packages', dir))
    .filter((dir) => existsSync(join(dir, 'package.json')))
    .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
    .filter((p) => p.manifest.private !== true);
  const byName = new Map(found.map((p) => [p.manifest.name, p]));
  const ordered = [];
  const visit = (p) => {
    if (ordered.includes(p)) return;
    for (const dep of Object.keys(p.manifest.dependencies ?? {})) if (byName.has(dep)) visit(byName.get(dep));
    ordered.push(p);
  };
  for (const p of found) visit(p);
  return ordered;
}

/** Every file path an `exports` map (or a plain string) points at. */
function exportTargets(value, out = []) {
  if (typeof value === 'string') out.push(value);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) exportTargets(v, out);
  return out;
}

/** @agentsocket/* dependencies of a packed manifest, transitively. */
function internalClosure(name, manifests, out = new Set()) {
  const m = manifests.get(name);
  if (!m) return out;
  for (const dep of Object.keys(m.dependencies ?? {})) {
    if (manifests.has(dep) && !out.has(dep)) {
      out.add(dep);
      internalClosure(dep, manifests, out);
    }
  }
  return out;
}

function listFiles(dir, base = dir) {
  return readdirSync(dir).flatMap((entry) => {
    const full = join(dir, entry);
    return statSync(full).isDirectory() ? listFiles(full, base) : [relative(base, full)];
  });
}

// ---------------------------------------------------------------------------------------------
// --only: those packages and the workspace packages they depend on (installed from tarballs too).
const everyPackage = publicPackages();
const wantedNames = new Set(only ? only.map((o) => `@agentsocket/${o}`) : everyPackage.map((p) => p.manifest.name));
for (const p of [...everyPackage].reverse()) {
  if (wantedNames.has(p.manifest.name)) for (const dep of Object.keys(p.manifest.dependencies ?? {})) wantedNames.add(dep);
}
const packages = everyPackage.filter((p) => wantedNames.has(p.manifest.name));
if (!flag('skip-build')) {
  step('build');
  const filters = packages.map((p) => `--filter=${p.manifest.name}`);
  const r = await run('npx', ['turbo', 'run', 'build', ...filters], { cwd: root, inherit: true });
  if (!r.ok) throw new Error('build failed');
}

step(`pack ${packages.length} packages into ${work}`);
const tarballs = join(work, 'tarballs');
mkdirSync(tarballs, { recursive: true });
const packed = new Map(); // name -> { tarball, manifest, unpacked }
const packedRun = await run(PNPM_CMD, [...PNPM, '-r', ...packages.map((p) => `--filter=${p.manifest.name}`), 'pack', '--pack-destination', tarballs], { cwd: root });
if (!packedRun.ok) fail('pack', `pnpm pack failed\n${packedRun.out}`);
for (const p of packages) {
  const file = join(tarballs, `${p.manifest.name.replace('@', '').replace('/', '-')}-${p.manifest.version}.tgz`);
  if (!existsSync(file)) {
    fail(p.manifest.name, `no tarball ${file}`);
    continue;
  }
  const unpacked = join(work, 'unpacked', p.manifest.name.split('/')[1]);
  mkdirSync(unpacked, { recursive: true });
  execFileSync('tar', ['-xzf', file, '-C', unpacked, '--strip-components=1']);
  packed.set(p.manifest.name, { tarball: file, manifest: JSON.parse(readFileSync(join(unpacked, 'package.json'), 'utf8')), unpacked });
}
const manifests = new Map([...packed].map(([name, p]) => [name, p.manifest]));

step('the README\'s example is examples/ws/src/main.ts');
{
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const taste = /## A taste[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  const file = readFileSync(join(root, 'examples', 'ws', 'src', 'main.ts'), 'utf8');
  if (taste === file) ok('README.md', 'the example under "A taste" is the file CI runs');
  else fail('README.md', 'the example under "A taste" differs from examples/ws/src/main.ts; copy the file into it');
}

step('what each tarball ships');
for (const [name, { manifest, unpacked, tarball }] of packed) {
  const files = new Set(listFiles(unpacked));
  const problems = [];
  for (const required of ['README.md', 'LICENSE', 'package.json']) if (!files.has(required)) problems.push(`no ${required}`);
  for (const field of ['description', 'license', 'repository', 'homepage', 'bugs', 'engines', 'exports']) {
    if (manifest[field] === undefined) problems.push(`package.json has no "${field}"`);
  }
  if (manifest.type !== 'module') problems.push('package.json "type" is not "module"');
  for (const kind of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
    for (const [dep, range] of Object.entries(manifest[kind] ?? {})) {
      if (String(range).startsWith('workspace:') || String(range).startsWith('link:')) problems.push(`${kind}.${dep} is "${range}"`);
    }
  }
  const targets = [...exportTargets(manifest.exports), ...exportTargets(manifest.bin ?? {}), manifest.main, manifest.types].filter(Boolean);
  for (const target of targets) if (!files.has(target.replace(/^\.\//, ''))) problems.push(`points at ${target}, not shipped`);
  for (const bin of exportTargets(manifest.bin ?? {})) {
    const path = join(unpacked, bin);
    if (existsSync(path) && !readFileSync(path, 'utf8').startsWith('#!')) problems.push(`bin ${bin} has no #! line`);
  }
  let mapBytes = 0;
  let allBytes = 0;
  for (const file of files) {
    const full = join(unpacked, file);
    allBytes += statSync(full).size;
    if (file.endsWith('.map')) {
      mapBytes += statSync(full).size;
      const map = JSON.parse(readFileSync(full, 'utf8'));
      for (const source of map.sources ?? []) {
        const target = relative(unpacked, resolve(dirname(full), map.sourceRoot ?? '', source));
        if (!files.has(target)) problems.push(`${file} names ${source}, not shipped`);
      }
    } else if (/\.(m?js|d\.ts)$/.test(file)) {
      const m = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(readFileSync(full, 'utf8'));
      if (m && !m[1].startsWith('data:') && !files.has(relative(unpacked, resolve(dirname(full), m[1])))) {
        problems.push(`${file} names map ${m[1]}, not shipped`);
      }
    }
    if (/\.test\.|(^|\/)test\//.test(file)) problems.push(`ships test file ${file}`);
  }
  const readme = files.has('README.md') ? readFileSync(join(unpacked, 'README.md'), 'utf8') : '';
  if (readme && !/```(ts|js|sh)\n/.test(readme)) problems.push('README has no example');
  // One line for a whole class of missing files (every map of a package at once, typically).
  const unshipped = problems.filter((p) => / names .*, not shipped$/.test(p));
  if (unshipped.length > 3) problems.splice(0, problems.length, ...problems.filter((p) => !unshipped.includes(p)), `${unshipped.length} files name files not shipped, e.g. ${unshipped[0]}`);
  if (problems.length > 0) fail(name, problems.join('; '));
  else {
    const kb = (n) => `${(n / 1024).toFixed(0)} KiB`;
    ok(name, `${files.size} files, ${kb(statSync(tarball).size)} packed, ${kb(allBytes)} unpacked (maps ${kb(mapBytes)}); every path it names is shipped`);
  }
}

// The two phases wait on the network more than on the CPU: they run side by side.
step('each package alone in an empty npm project (import, require, types under node16 and bundler), and examples/ against the tarballs');
/** Libraries whose own types need more than ES2023 + Node (the MCP SDK names fetch's HeadersInit). */
const EXTRA_LIB = { '@agentsocket/mcp': ['DOM'] };
const tsconfig = (module, moduleResolution, name) => ({
  compilerOptions: {
    target: 'ES2022',
    lib: ['ES2023', ...(EXTRA_LIB[name] ?? [])],
    module,
    moduleResolution,
    types: ['node'],
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
    skipLibCheck: false,
    noEmit: true,
  },
  files: ['check.ts'],
});
const alonePhase = pool([...packed], 4, async ([name, { manifest }]) => {
  const short = name.split('/')[1];
  const dir = join(work, 'alone', short);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: `alone-${short}`, private: true, type: 'module' }, null, 2)}\n`);
  const needed = [name, ...internalClosure(name, manifests)].map((n) => packed.get(n).tarball);
  const installed = await run('npm', [...NPM_INSTALL, ...needed, TYPES_NODE], { cwd: dir });
  if (!installed.ok) {
    fail(name, `npm install failed\n${installed.out}`);
    return;
  }
  const entries = Object.keys(manifest.exports).filter((k) => k !== './package.json');
  const peers = PEER_ENTRIES[name] ?? {};
  const checkEntries = async (list, label) => {
    const failedBefore = failures.length;
    const specs = list.map((e) => (e === '.' ? name : `${name}/${e.slice(2)}`));
    for (const spec of specs) {
      const imported = await run('node', ['--input-type=module', '-e', `const m = await import(${JSON.stringify(spec)}); if (Object.keys(m).length === 0) throw new Error('no exports');`], { cwd: dir });
      if (!imported.ok) fail(name, `import('${spec}') ${label}: ${imported.out.trim().split('\n').slice(0, 6).join(' | ')}`);
      const required = await run('node', ['-e', `const m = require(${JSON.stringify(spec)}); if (Object.keys(m).length === 0) throw new Error('no exports');`], { cwd: dir });
      if (!required.ok) fail(name, `require('${spec}') ${label}: ${required.out.trim().split('\n').slice(0, 6).join(' | ')}`);
    }
    const program = specs.map((s, i) => `import * as entry${i} from ${JSON.stringify(s)};`).join('\n');
    const uses = specs.map((_, i) => `entry${i}`).join(', ');
    writeFileSync(join(dir, 'check.ts'), `${program}\nexport const entries: ReadonlyArray<object> = [${uses}];\n`);
    for (const [module, resolution] of [['node16', 'node16'], ['esnext', 'bundler']]) {
      writeFileSync(join(dir, `tsconfig.${resolution}.json`), JSON.stringify(tsconfig(module, resolution, name), null, 2));
      const checked = await run(tsc, ['-p', `tsconfig.${resolution}.json`], { cwd: dir });
      if (!checked.ok) fail(name, `tsc (${resolution}, skipLibCheck false) ${label}:\n${checked.out.trim().split('\n').slice(0, 12).join('\n')}`);
    }
    if (failures.slice(failedBefore).every((f) => !f.startsWith(`${name}:`))) ok(name, `${specs.join(', ')} ${label}: import, require, tsc node16 + bundler`);
  };
  await checkEntries(entries.filter((e) => !peers[e]), 'installed alone');
  for (const [entry, deps] of Object.entries(peers)) {
    const more = await run('npm', [...NPM_INSTALL, ...deps], { cwd: dir });
    if (!more.ok) fail(name, `npm install ${deps.join(' ')} failed\n${more.out}`);
    else await checkEntries([entry], `with ${deps.join(', ')}`);
  }
});

const examplesPhase = (async () => {
  if (flag('no-examples')) return;
  const examplesDir = join(root, 'examples');
  const examples = existsSync(examplesDir) ? readdirSync(examplesDir).filter((d) => existsSync(join(examplesDir, d, 'package.json'))) : [];
  await pool(examples, 2, async (example) => {
    const where = `examples/${example}`;
    const dir = join(work, 'examples', example);
    cpSync(join(examplesDir, example), dir, { recursive: true, filter: (src) => !/node_modules|dist$/.test(src) });
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    let stale = false;
    for (const kind of ['dependencies', 'devDependencies']) {
      for (const [dep, range] of Object.entries(pkg[kind] ?? {})) {
        if (!dep.startsWith('@agentsocket/')) continue;
        const p = packed.get(dep);
        if (!p) {
          fail(where, `depends on ${dep}, which was not packed`);
          stale = true;
          continue;
        }
        if (range !== `^${p.manifest.version}`) {
          fail(where, `${dep} is "${range}"; the packages are at ${p.manifest.version} (write "^${p.manifest.version}")`);
          stale = true;
        }
        pkg[kind][dep] = `file:${p.tarball}`;
      }
    }
    if (stale) return;
    // The tarballs' own @agentsocket/* dependencies must come from the tarballs too.
    pkg.overrides = Object.fromEntries([...packed].map(([n, p]) => [n, `file:${p.tarball}`]));
    for (const kind of ['dependencies', 'devDependencies']) for (const dep of Object.keys(pkg[kind] ?? {})) if (dep in pkg.overrides) pkg.overrides[dep] = `$${dep}`;
    writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
    const installed = await run('npm', NPM_INSTALL, { cwd: dir });
    if (!installed.ok) {
      fail(where, `npm install failed\n${installed.out}`);
      return;
    }
    if (existsSync(join(dir, 'tsconfig.json'))) {
      const checked = await run(tsc, ['-p', 'tsconfig.json'], { cwd: dir });
      if (!checked.ok) fail(where, `tsc:\n${checked.out.trim().split('\n').slice(0, 12).join('\n')}`);
    }
    const t0 = Date.now();
    const tested = await run('npm', ['test', '--silent'], { cwd: dir, timeoutMs: 120_000 });
    const lines = tested.out.trim().split('\n');
    if (!tested.ok) fail(where, `npm test exited ${tested.status}\n${lines.slice(-20).join('\n')}`);
    else ok(where, `npm test passed in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${lines.at(-1)}`);
  });
  if (examples.length === 0) fail('examples', 'no example projects found');
})();
await Promise.all([alonePhase, examplesPhase]);

step(failures.length === 0 ? 'all package checks passed' : `${failures.length} package checks failed`);
for (const f of failures) console.log(`  - ${f.split('\n')[0]}`);
if (failures.length === 0 && !flag('keep')) rmSync(work, { recursive: true, force: true });
else console.log(`  (files kept in ${work})`);
process.exit(failures.length === 0 ? 0 : 1);
