/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time per function and per package,
 * heaviest first. Usage: tsx src/profile-summary.ts <file.cpuprofile> [top=30]
 */
import { readFileSync } from 'node:fs';
import { isRecord, renderTable } from '@agentsocket/bench-kit';

interface ProfileNode {
  id: number;
  name: string;
  where: string;
  children: number[];
}

const file = process.argv[2];
if (!file) {
  console.error('usage: profile-summary <file.cpuprofile> [top]');
  process.exit(2);
}
const top = Number(process.argv[3] ?? 30);
const raw: unknown = JSON.parse(readFileSync(file, 'utf8'));
if (!isRecord(raw) || !Array.isArray(raw['nodes']) || !Array.isArray(raw['samples']) || !Array.isArray(raw['timeDeltas'])) {
  throw new Error(`${file} is not a .cpuprofile`);
}
const nodes = new Map<number, ProfileNode>();
for (const n of raw['nodes']) {
  if (!isRecord(n) || typeof n['id'] !== 'number' || !isRecord(n['callFrame'])) continue;
  const cf = n['callFrame'];
  const url = typeof cf['url'] === 'string' ? cf['url'] : '';
  const line = typeof cf['lineNumber'] === 'number' ? cf['lineNumber'] + 1 : 0;
  const name = typeof cf['functionName'] === 'string' && cf['functionName'] !== '' ? cf['functionName'] : '(anonymous)';
  const children = Array.isArray(n['children']) ? n['children'].filter((c): c is number => typeof c === 'number') : [];
  nodes.set(n['id'], { id: n['id'], name, where: url === '' ? '' : `${shorten(url)}:${line}`, children });
}
const selfByFn = new Map<string, number>();
const selfByPkg = new Map<string, number>();
let total = 0;
const samples: unknown[] = raw['samples'];
const deltas: unknown[] = raw['timeDeltas'];
for (let i = 0; i < samples.length; i++) {
  const id = samples[i];
  const dt = deltas[i];
  if (typeof id !== 'number' || typeof dt !== 'number') continue;
  const n = nodes.get(id);
  if (!n) continue;
  total += dt;
  const key = `${n.name} ${n.where}`;
  selfByFn.set(key, (selfByFn.get(key) ?? 0) + dt);
  const pkg = packageOf(n);
  selfByPkg.set(pkg, (selfByPkg.get(pkg) ?? 0) + dt);
}
// Inclusive time: a function's own samples plus everything it called (each function once per stack).
const selfById = new Map<number, number>();
for (let i = 0; i < samples.length; i++) {
  const id = samples[i];
  const dt = deltas[i];
  if (typeof id === 'number' && typeof dt === 'number') selfById.set(id, (selfById.get(id) ?? 0) + dt);
}
const totalByFn = new Map<string, number>();
const walk = (id: number, onStack: Set<string>): number => {
  const n = nodes.get(id);
  if (!n) return 0;
  let sum = selfById.get(id) ?? 0;
  const key = `${n.name} ${n.where}`;
  const fresh = !onStack.has(key);
  if (fresh) onStack.add(key);
  for (const c of n.children) sum += walk(c, onStack);
  if (fresh) {
    onStack.delete(key);
    totalByFn.set(key, (totalByFn.get(key) ?? 0) + sum);
  }
  return sum;
};
const root = raw['nodes'][0];
if (isRecord(root) && typeof root['id'] === 'number') walk(root['id'], new Set());
const rows = (m: Map<string, number>, n: number) =>
  [...m.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, us]) => [k, `${(us / 1000).toFixed(1)} ms`, `${((us / total) * 100).toFixed(1)}%`]);
console.log(`${file}: ${(total / 1000).toFixed(0)} ms sampled`);
console.log(renderTable([{ header: 'package / area' }, { header: 'self' }, { header: 'share' }], rows(selfByPkg, 20)));
console.log();
console.log(renderTable([{ header: 'function' }, { header: 'self' }, { header: 'share' }], rows(selfByFn, top)));
console.log();
console.log(renderTable([{ header: 'function (inclusive)' }, { header: 'total' }, { header: 'share' }], rows(totalByFn, top)));

function shorten(url: string): string {
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  const pk = url.indexOf('/packages/');
  if (pk >= 0) return url.slice(pk + 1);
  const ap = url.indexOf('/apps/');
  return ap >= 0 ? url.slice(ap + 1) : url.replace(/^file:\/\//, '');
}

function packageOf(n: ProfileNode): string {
  if (n.where === '') return n.name.startsWith('(') ? n.name : '(native)';
  const w = n.where;
  if (w.startsWith('packages/')) return w.split('/').slice(0, 2).join('/');
  if (w.startsWith('apps/')) return w.split('/').slice(0, 2).join('/');
  if (w.startsWith('node:')) return `node:${w.slice(5).split('/')[0]?.split(':')[0] ?? ''}`;
  const parts = w.split('/');
  return (parts[0]?.startsWith('.pnpm') ? parts.slice(1) : parts).slice(0, w.startsWith('@') ? 2 : 1).join('/');
}
