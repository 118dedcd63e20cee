import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nginxBinary } from '@agentsocket/cluster/lib';
import { describe, expect, it } from 'vitest';

const APP = fileURLToPath(new URL('..', import.meta.url));

function run(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=@agentsocket/source', '--import', 'tsx', 'src/demo.ts', ...args], {
      cwd: APP,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, out }));
  });
}

// The CI variant of `npm run demo:swarm`: the same program with 500 tasks and 6 workers.
describe.runIf(nginxBinary() !== undefined || process.env['CI'] === 'true')('the swarm demo', () => {
  it('pushes 500 tasks through workers, a node and Redis being killed, and every check passes', async () => {
    const { code, out } = await run(['--tasks', '500', '--workers', '6', '--kill-every-ms', '1500']);
    if (code !== 0) console.error(out);
    expect(out).toMatch(/dashboard: http:\/\/127\.0\.0\.1:\d+\/dashboard/);
    for (const check of ['every task succeeded', 'one outcome per task', 'every side effect applied once', 'queue drained', 'faults injected']) {
      expect(out).toContain(`ok   ${check}`);
    }
    expect(out).not.toContain('FAIL');
    expect(out).toContain('all checks passed');
    expect(code).toBe(0);
  }, 600_000);
});
