import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type McpHttpServer, mcpHttpServer } from '../src/index.js';
import { createDemoAgent } from './fixtures/demo-agent.js';
import { fixtureProcess } from './helpers.js';

const require = createRequire(import.meta.url);
const inspector = join(dirname(require.resolve('@modelcontextprotocol/inspector/package.json')), 'clients/launcher/build/index.js');
const run = promisify(execFile);

/** Runs the official MCP Inspector in CLI mode and parses the JSON it prints. */
async function inspect(target: string[], args: string[]): Promise<unknown> {
  const { stdout } = await run(process.execPath, [inspector, '--cli', ...target, ...args], { timeout: 60_000 });
  return JSON.parse(stdout);
}

describe('the MCP Inspector CLI against our servers', () => {
  const stdio = fixtureProcess('stdio-agent.ts');
  const stdioTarget = ['--cwd', stdio.cwd ?? '.', stdio.command, ...(stdio.args ?? [])];
  let http: McpHttpServer;

  beforeAll(async () => {
    http = await mcpHttpServer(createDemoAgent());
  });
  afterAll(async () => {
    await http.close();
  });

  it('lists and calls the agent’s tools over stdio', async () => {
    const listed = await inspect(stdioTarget, ['--method', 'tools/list']);
    expect(listed).toMatchObject({ tools: expect.arrayContaining([expect.objectContaining({ name: 'echo', description: 'Returns its text' })]) });
    const called = await inspect(stdioTarget, ['--method', 'tools/call', '--tool-name', 'echo', '--tool-arg', 'text=hello']);
    expect(called).toEqual({ content: [{ type: 'text', text: 'hello' }] });
  });

  it('lists and calls the agent’s tools over Streamable HTTP', async () => {
    const listed = await inspect([http.url], ['--method', 'tools/list']);
    expect(listed).toMatchObject({ tools: expect.arrayContaining([expect.objectContaining({ name: 'research' })]) });
    const called = await inspect([http.url], ['--method', 'tools/call', '--tool-name', 'research', '--tool-arg', 'topic=MCP']);
    expect(called).toMatchObject({ structuredContent: { topic: 'MCP', tokens: 4 } });
  });
});
