import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { AgentClient } from '@agentsocket/core';
import { wsConnector } from '@agentsocket/ws';
import { afterAll, describe, expect, it } from 'vitest';
import { everythingServer } from './helpers.js';

const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

/** Starts the CLI and resolves with the ws:// URL it announces on stderr. */
async function startMount(proc: ChildProcess): Promise<string> {
  if (!proc.stderr) throw new Error('no stderr');
  for await (const line of createInterface({ input: proc.stderr })) {
    const url = /(ws:\/\/\S+)/.exec(line)?.[1];
    if (url) return url;
  }
  throw new Error('the CLI exited without serving');
}

describe('agentsocket-mcp mount', () => {
  const stock = everythingServer();
  const proc = spawn(
    process.execPath,
    ['--conditions=@agentsocket/source', '--import', 'tsx', cli, 'mount', '--port', '0', '--', stock.command, ...(stock.args ?? [])],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  afterAll(async () => {
    proc.kill();
    await once(proc, 'exit');
  });

  it('serves a stock MCP server on the binary WebSocket for our AgentClient', async () => {
    const url = await startMount(proc);
    const client = new AgentClient({ connect: wsConnector({ url }), reconnect: false });
    await client.connect();
    expect(client.tools.map((t) => t.name)).toContain('echo');
    expect((await client.invoke('echo', { message: 'from ws' }).result).value).toBe('Echo: from ws');
    await client.close();
  });
});

describe('agentsocket-mcp mount --env', () => {
  const stock = everythingServer();
  const proc = spawn(
    process.execPath,
    ['--conditions=@agentsocket/source', '--import', 'tsx', cli, 'mount', '--port', '0', '--env', 'ASP_TEST_API_KEY=set-on-the-command-line', '--env', 'ASP_TEST_PASSED_ON', '--', stock.command, ...(stock.args ?? [])],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ASP_TEST_PASSED_ON: 'from-the-parent', ASP_TEST_NOT_PASSED: 'stays-here' } },
  );
  afterAll(async () => {
    proc.kill();
    await once(proc, 'exit');
  });

  it('gives the mounted server the variables named, and no others', async () => {
    const url = await startMount(proc);
    const client = new AgentClient({ connect: wsConnector({ url }), reconnect: false });
    await client.connect();
    const printed = JSON.stringify((await client.invoke('get-env', {}).result).value);
    expect(printed).toContain('set-on-the-command-line');
    expect(printed).toContain('from-the-parent');
    expect(printed).not.toContain('stays-here');
    await client.close();
  });
});
