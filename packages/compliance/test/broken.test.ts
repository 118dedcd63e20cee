// Tests of the suite itself: it runs against pipe transports that each break one Transport rule
// (test/broken/pipe.ts), in a child vitest, and each must fail by that rule's name.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Flaw } from './broken/pipe.js';

interface Outcome {
  fixture: string;
  title: string;
  status: string;
  message: string;
}

const vitestBin = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
const config = fileURLToPath(new URL('./broken/vitest.config.ts', import.meta.url));

/** Runs the suite (or the tests whose names match `only`) against each flaw; returns every test's outcome. */
async function runSuite(flaws: readonly Flaw[], only?: string): Promise<Outcome[]> {
  const dir = await mkdtemp(join(tmpdir(), 'compliance-broken-'));
  const out = join(dir, 'report.json');
  try {
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('VITEST')));
    await new Promise<void>((resolve, reject) => {
      const args = [vitestBin, 'run', '--config', config, '--reporter=json', `--outputFile=${out}`, ...(only ? ['-t', only] : [])];
      // Exits non-zero when tests fail, which is the point; only a missing report is an error.
      execFile(process.execPath, args, { env: { ...env, COMPLIANCE_FLAWS: flaws.join(',') }, maxBuffer: 64 * 1024 * 1024 }, (error, _stdout, stderr) =>
        readFile(out).then(
          () => resolve(),
          () => reject(new Error(`the child vitest wrote no report (${error?.message ?? 'no error'}): ${stderr.slice(-2000)}`)),
        ),
      );
    });
    const report = JSON.parse(await readFile(out, 'utf8')) as {
      testResults: Array<{ assertionResults: Array<{ ancestorTitles: string[]; title: string; status: string; failureMessages: string[] }> }>;
    };
    return report.testResults.flatMap((file) =>
      file.assertionResults.map((test) => ({
        fixture: (test.ancestorTitles[0] ?? '').replace('transport compliance: ', ''),
        title: test.title,
        status: test.status,
        message: test.failureMessages.join('\n'),
      })),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Each flaw and the tests that must catch it (by name prefix). */
const catches: ReadonlyArray<readonly [Flaw, string]> = [
  ['reorders', 'rule 1:'],
  ['drops-before-start', 'rule 2:'],
  ['double-onclose', 'rule 3:'],
  ['silent-send-after-close', 'rule 4:'],
  ['no-bound', 'rule 5:'],
  ['close-resolves-early', 'rule 6:'],
  ['oversize-accepted', 'rule 7:'],
  ['throws-from-callback', 'rule 8:'],
  ['no-close-codes', 'close codes:'],
];

describe('the compliance suite catches broken transports', () => {
  it('fails each broken transport by the rule it breaks, in the transport sections, and passes the same pipe without flaws', { timeout: 600_000 }, async () => {
    const outcomes = await runSuite(['none', ...catches.map(([flaw]) => flaw)], 'transport (rules|limits)');
    const of = (fixture: string) => outcomes.filter((o) => o.fixture === fixture && o.status !== 'skipped' && o.status !== 'pending');
    const control = of('none');
    expect(control.length, 'transport-level tests run against the compliant pipe').toBeGreaterThanOrEqual(25);
    expect(control.filter((o) => o.status !== 'passed').map((o) => `${o.title}: ${o.message.split('\n')[0]}`)).toEqual([]);
    for (const [flaw, prefix] of catches) {
      const failed = of(flaw).filter((o) => o.status === 'failed');
      const caught = failed.filter((o) => o.title.startsWith(prefix));
      expect(caught.length, `"${prefix}" tests failed for the ${flaw} transport (failed: ${failed.map((o) => o.title).join('; ') || 'none'})`).toBeGreaterThan(0);
      // The failure says which rule and what went wrong, not only "expected true to be false".
      const word = prefix.replace(':', '').toLowerCase();
      for (const o of caught) expect(o.message.toLowerCase(), `${flaw}: ${o.title}`).toContain(word);
    }
    // Without a bound, both the flood and the paced sends to a stopped reader fail, at both ends.
    const unbounded = of('no-bound').filter((o) => o.title.startsWith('rule 5:') && o.title.includes('stop'));
    expect(unbounded.map((o) => o.status)).toEqual(['failed', 'failed', 'failed', 'failed']);
  });

  it('points every failure of a transport without close codes at close codes', { timeout: 600_000 }, async () => {
    const outcomes = await runSuite(['no-close-codes']);
    const failed = outcomes.filter((o) => o.status === 'failed');
    expect(failed.filter((o) => o.title.startsWith('close codes:')).length).toBe(3);
    const unclear = failed.filter((o) => !o.message.includes('"Close codes" in docs/writing-a-transport.md'));
    expect(unclear.map((o) => `${o.title}: ${o.message.split('\n')[0]}`)).toEqual([]);
  });
});
