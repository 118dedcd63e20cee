import { parseArgs } from 'node:util';
import { createResearchAgent } from './agent.js';
import { transports } from './transports.js';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    transport: { type: 'string', short: 't', default: 'ws' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

const names = Object.keys(transports);
if (values.help) {
  console.log(`usage: pnpm demo [--transport ${names.join('|')}|all]`);
  process.exit(0);
}
const chosen = values.transport === 'all' ? names : [values.transport];
let failed = 0;
for (const name of chosen) {
  const serve = transports[name];
  if (!serve) {
    console.error(`unknown transport "${name}"; choose one of: ${names.join(', ')}, all`);
    process.exit(2);
  }
  const served = await serve(createResearchAgent(), { tokenDelayMs: 4 });
  console.log(`\n=== research-assistant over ${name}: ${served.where} ===`);
  const checks = await served.run(process.stdout);
  await served.close();
  console.log(`\nchecks (${name}):`);
  for (const c of checks) console.log(`  ${c.ok ? '✔' : '✘'} ${c.name} — ${c.detail}`);
  failed += checks.filter((c) => !c.ok).length;
}
if (failed > 0) {
  console.error(`\n${failed} check(s) failed`);
  process.exit(1);
}
console.log('\nall checks passed');
