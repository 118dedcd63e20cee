#!/usr/bin/env node
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { type Agent, AgentServer, isAgent } from '@agentsocket/core';
import { getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { mcpHttpServer } from './http.js';
import { mountMcpServer } from './mount.js';
import { serveAgentOverStdio } from './stdio.js';

const USAGE = `agentsocket-mcp — the Agent Socket ↔ MCP bridge

  agentsocket-mcp serve <agent-module> [--export name] [--http] [--port n] [--host h]
                        [--allowed-host name]... [--allowed-origin origin]...
      Serves the Agent exported by the module (default export, or --export; an Agent or a
      function returning one) as an MCP server: over stdio, or Streamable HTTP with --http.
      Over HTTP only loopback Host and Origin names (and the address a request arrived on) are
      let in unless --allowed-host / --allowed-origin list others ('any' turns a check off).

  agentsocket-mcp mount [--port n] [--host h] [--path /asp] [--env NAME=value | --env NAME]...
                        (--url <mcp-url> | -- <command> [args…])
      Mounts an MCP server and serves it as an agent over the Agent Socket binary WebSocket
      (needs @agentsocket/ws installed). A spawned server gets the MCP SDK's safe default
      environment (PATH, HOME, …) plus each --env: NAME=value sets it, NAME alone passes this
      process's value on (for API keys).`;

/** The environment for a spawned MCP server: the SDK's safe defaults plus each --env. */
function mountEnvironment(specs: string[]): Record<string, string> {
  const env = getDefaultEnvironment();
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    const name = eq === -1 ? spec : spec.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`--env takes NAME=value or NAME, not "${spec}"`);
    const value = eq === -1 ? process.env[name] : spec.slice(eq + 1);
    if (value === undefined) throw new Error(`--env ${name}: ${name} is not set in this environment`);
    env[name] = value;
  }
  return env;
}

async function loadAgent(file: string, name: string): Promise<Agent> {
  const mod: Record<string, unknown> = await import(pathToFileURL(resolve(file)).href);
  let value = mod[name];
  if (typeof value === 'function') value = await value();
  // By brand, not instanceof: run with npx or installed globally, this CLI has its own copy of core.
  if (isAgent(value)) return value;
  throw new Error(`${file} export "${name}" is not an Agent (or a function returning one) from @agentsocket/core`);
}

function allowList(values: string[] | undefined): string[] | 'any' | undefined {
  return values?.includes('any') ? 'any' : values;
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      export: { type: 'string', default: 'default' },
      http: { type: 'boolean', default: false },
      port: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      path: { type: 'string' },
      url: { type: 'string' },
      'allowed-host': { type: 'string', multiple: true },
      'allowed-origin': { type: 'string', multiple: true },
      env: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, ...rest] = positionals;
  const port = values.port === undefined ? undefined : Number(values.port);
  if (values.help || command === undefined) {
    console.error(USAGE);
    return;
  }
  if (command === 'serve' && rest[0] !== undefined) {
    const agent = await loadAgent(rest[0], values.export);
    if (!values.http) {
      await serveAgentOverStdio(agent);
      return;
    }
    const http = await mcpHttpServer(agent, {
      host: values.host,
      ...(port === undefined ? {} : { port }),
      ...(values.path ? { path: values.path } : {}),
      ...(values['allowed-host'] === undefined ? {} : { allowedHosts: allowList(values['allowed-host']) }),
      ...(values['allowed-origin'] === undefined ? {} : { allowedOrigins: allowList(values['allowed-origin']) }),
    });
    console.error(`serving agent "${agent.name}" over MCP Streamable HTTP at ${http.url}`);
    return;
  }
  if (command === 'mount' && (values.url !== undefined || rest.length > 0)) {
    const [cmd, ...args] = rest;
    const env = values.env === undefined ? {} : { env: mountEnvironment(values.env) };
    const source = values.url !== undefined ? { url: values.url } : { command: cmd ?? '', args, ...env };
    const mounted = await mountMcpServer(source);
    // Optional: the library itself does not need the ws transport.
    const { wsServer } = await import('@agentsocket/ws');
    const ws = await wsServer({ agentServer: new AgentServer(mounted.agent), port: port ?? 0, host: values.host, ...(values.path ? { path: values.path } : {}) });
    console.error(`serving MCP server "${mounted.agent.name}" (${mounted.agent.tools.length} tools) as an agent at ${ws.url ?? ''}`);
    mounted.on('close', () => void ws.close());
    return;
  }
  console.error(USAGE);
  process.exitCode = 2;
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
