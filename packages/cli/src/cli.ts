#!/usr/bin/env node
import { explain, run, UsageError } from './run.js';

run(process.argv.slice(2), {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  input: process.stdin,
  interactive: Boolean(process.stderr.isTTY && process.stdin.isTTY),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`agentsocket: ${explain(error)}\n`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  },
);
