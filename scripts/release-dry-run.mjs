#!/usr/bin/env node
// A release rehearsal that changes nothing here: copies the working tree to a scratch directory,
// runs `changeset version` there (versions, CHANGELOG.md files, changesets consumed), checks the
// new version is the bump the changesets ask for, then `pnpm -r publish --dry-run` (each package
// packed as it would be published, workspace: ranges replaced). Finally checks that this clone's
// files did not change. Needs the packages built (it runs turbo's build, a cache hit after
// check-packages).
//
//   node scripts/release-dry-run.mjs [--keep]
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const keep = process.argv.includes('--keep');
const execpath = process.env.npm_execpath ?? '';
const [PNPM_CMD, ...PNPM] = /pnpm/.test(execpath) ? [process.execPath, execpath] : ['npx', '--yes', 'pnpm@10.34.8'];

function run(command, args, cwd) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
    });
    child.stderr.on('data', (c) => {
      out += c;
    });
    child.on('close', (status) => resolve({ ok: status === 0, out }));
  });
}

function die(message, detail = '') {
  console.error(`release dry run FAILED: ${message}${detail ? `\n${detail}` : ''}`);
  process.exit(1);
}

const status = async () => (await run('git', ['status', '--porcelain', '--untracked-files=all'], root)).out;
const before = await status();

const built = await run('npx', ['turbo', 'run', 'build', '--filter=./packages/*'], root);
if (!built.ok) die('build failed', built.out);

// The working tree as git sees it (tracked and new files, not ignored ones), plus what was built.
const scratch = mkdtempSync(join(tmpdir(), 'agentsocket-release-'));
const listed = await run('git', ['ls-files', '--cached', '--others', '--exclude-standard'], root);
for (const file of listed.out.split('\n').filter(Boolean)) {
  if (!existsSync(join(root, file))) continue; // deleted, not yet committed
  mkdirSync(dirname(join(scratch, file)), { recursive: true });
  cpSync(join(root, file), join(scratch, file));
}
// Dependencies as installed here: the root's by a link, each package's own (pnpm's links) by copy.
symlinkSync(join(root, 'node_modules'), join(scratch, 'node_modules'));
const packageDirs = readdirSync(join(root, 'packages')).filter((d) => existsSync(join(root, 'packages', d, 'package.json')));
const manifests = new Map();
for (const dir of packageDirs) {
  for (const sub of ['dist', 'node_modules']) {
    const from = join(root, 'packages', dir, sub);
    if (existsSync(from)) cpSync(from, join(scratch, 'packages', dir, sub), { recursive: true, verbatimSymlinks: true });
  }
  const manifest = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8'));
  if (manifest.private !== true) manifests.set(dir, manifest);
}

// The bump the pending changesets ask for (the packages are versioned together).
const rank = { patch: 1, minor: 2, major: 3 };
let wanted = 0;
const changesetDir = join(root, '.changeset');
for (const file of readdirSync(changesetDir).filter((f) => f.endsWith('.md') && f !== 'README.md')) {
  const front = /^---\n([\s\S]*?)\n---/.exec(readFileSync(join(changesetDir, file), 'utf8'))?.[1] ?? '';
  for (const m of front.matchAll(/:\s*(patch|minor|major)\s*$/gm)) wanted = Math.max(wanted, rank[m[1]]);
}
const [current] = new Set([...manifests.values()].map((m) => m.version));
if (wanted === 0) {
  console.log(`no pending changesets: nothing to release (packages at ${current})`);
  rmSync(scratch, { recursive: true, force: true });
  process.exit(0);
}
const [major, minor, patch] = current.split('.').map(Number);
const expected = wanted === 3 ? `${major + 1}.0.0` : wanted === 2 ? `${major}.${minor + 1}.0` : `${major}.${minor}.${patch + 1}`;

const versioned = await run(process.execPath, [join(root, 'node_modules', '@changesets', 'cli', 'bin.js'), 'version'], scratch);
if (!versioned.ok) die('changeset version failed', versioned.out);
for (const [dir] of manifests) {
  const after = JSON.parse(readFileSync(join(scratch, 'packages', dir, 'package.json'), 'utf8'));
  if (after.version !== expected) {
    die(`${after.name} went from ${current} to ${after.version}; the changesets ask for ${['', 'a patch', 'a minor', 'a major'][wanted]} bump (${expected})`);
  }
  if (!existsSync(join(scratch, 'packages', dir, 'CHANGELOG.md'))) die(`${after.name} has no CHANGELOG.md after changeset version`);
}
const left = readdirSync(join(scratch, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md');
if (left.length > 0) die(`changesets not consumed: ${left.join(', ')}`);
console.log(`changeset version: ${manifests.size} packages ${current} → ${expected}, a CHANGELOG.md each`);

const published = await run(PNPM_CMD, [...PNPM, '-r', 'publish', '--dry-run', '--no-git-checks'], scratch);
if (!published.ok) die('pnpm -r publish --dry-run failed', published.out);
for (const [, manifest] of manifests) {
  const line = `+ ${manifest.name}@${expected}`;
  if (!published.out.includes(line)) die(`pnpm -r publish --dry-run did not publish ${manifest.name}@${expected}`, published.out.slice(-4000));
}
console.log(`pnpm -r publish --dry-run: ${[...manifests.values()].map((m) => `${m.name}@${expected}`).join(', ')}`);

if ((await status()) !== before) die('the clone changed during the dry run', await status());
console.log('this clone is unchanged');
if (keep) console.log(`scratch copy kept in ${scratch}`);
else rmSync(scratch, { recursive: true, force: true });
