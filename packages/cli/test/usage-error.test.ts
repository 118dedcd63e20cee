import { AgentSocketBaseError, AgentSocketError } from '@agentsocket/core';
import { describe, expect, it } from 'vitest';
import { run, UsageError } from '../src/index.js';

describe('UsageError', () => {
  it('is a local INVALID_OPTIONS error under the one base', () => {
    const e = new UsageError('no command');
    expect(e).toBeInstanceOf(AgentSocketError);
    expect(e).toBeInstanceOf(AgentSocketBaseError);
    expect([e.name, e.code, e.message]).toEqual(['UsageError', 'INVALID_OPTIONS', 'no command']);
  });

  it('is what run() throws for a command line it cannot run', async () => {
    const io = { out: () => {}, err: () => {}, input: process.stdin, interactive: false };
    await expect(run(['call'], io)).rejects.toMatchObject({ name: 'UsageError', code: 'INVALID_OPTIONS', message: "call needs the server's URL" });
  });
});
