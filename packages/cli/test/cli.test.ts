import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { AgentServer, defineAgent, tool } from '@agentsocket/core';
import { socketIoServer } from '@agentsocket/socketio/server';
import { wsServer } from '@agentsocket/ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const CWD = fileURLToPath(new URL('..', import.meta.url));
const TOKEN = 'cli-token';

const agent = defineAgent({
  name: 'cli-test-agent',
  version: '2.0.0',
  tools: {
    echo: tool({
      description: 'Returns its arguments',
      input: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
      handler: (args) => args,
    }),
    story: tool({
      description: 'Streams a few words',
      async *handler() {
        for (const w of ['once ', 'upon ', 'a ', 'time']) yield w;
        yield { progress: 1 };
        return { words: 4 };
      },
    }),
    clarify: tool({
      description: 'Asks the caller which one it means',
      async handler(_args, ctx) {
        const answer = await ctx.invokePeer('which', { question: 'Which jaguar?' }).result;
        return { chose: answer.value };
      },
    }),
  },
});

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], stdin?: string): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, ['--conditions=@agentsocket/source', '--import', 'tsx', CLI, ...args], { cwd: CWD, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    if (stdin !== undefined) child.stdin?.end(stdin);
    else child.stdin?.end();
  });
}

const servers: Array<{ close(): Promise<void> | void }> = [];
const urls: Record<'ws' | 'socketio', string> = { ws: '', socketio: '' };

beforeAll(async () => {
  const authenticate = (token: string | undefined) => (token === TOKEN ? { id: 'cli' } : undefined);
  const ws = await wsServer({ agentServer: new AgentServer(agent, { authenticate }), port: 0, host: '127.0.0.1' });
  servers.push(ws);
  urls.ws = ws.url ?? '';
  const sio = await socketIoServer({ agentServer: new AgentServer(agent, { authenticate }), port: 0, host: '127.0.0.1' });
  servers.push(sio);
  urls.socketio = `http://127.0.0.1:${sio.port ?? 0}`;
});

afterAll(async () => {
  for (const s of servers) await s.close();
});

describe.each(['ws', 'socketio'] as const)('agentsocket over %s', (transport) => {
  it('lists the tools with their schemas', async () => {
    const r = await runCli(['tools', urls[transport], '--token', TOKEN]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('agent cli-test-agent 2.0.0: 3 tools');
    expect(r.stdout).toContain('echo  Returns its arguments');
    expect(r.stdout).toContain('"required":["text"]');
    const json = await runCli(['tools', urls[transport], '--token', TOKEN, '--json']);
    const listed = JSON.parse(json.stdout) as { agent: string; tools: Array<{ name: string }> };
    expect(listed.agent).toBe('cli-test-agent');
    expect(listed.tools.map((t) => t.name).sort()).toEqual(['clarify', 'echo', 'story']);
  });

  it('calls a tool and streams its chunks, then prints the result', async () => {
    const r = await runCli(['call', urls[transport], 'story', '--token', TOKEN]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('once upon a time\n{"progress":1}\n{\n  "words": 4\n}\n');
    const json = await runCli(['call', urls[transport], 'story', '{}', '--token', TOKEN, '--json', '--delivery', 'exactly-once']);
    const events = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.slice(0, 5)).toEqual([{ chunk: 'once ' }, { chunk: 'upon ' }, { chunk: 'a ' }, { chunk: 'time' }, { chunk: { progress: 1 } }]);
    expect(events[5]).toMatchObject({ result: { words: 4 } });
  });

  it('answers the agent’s own invokes: from standard input (--ask) or fixed (--answer)', async () => {
    const asked = await runCli(['call', urls[transport], 'clarify', '--token', TOKEN, '--ask', 'which'], 'the animal\n');
    expect(asked.code).toBe(0);
    expect(JSON.parse(asked.stdout)).toEqual({ chose: 'the animal' });
    const fixed = await runCli(['call', urls[transport], 'clarify', '--token', TOKEN, '--answer', 'which={"kind":"car"}']);
    expect(JSON.parse(fixed.stdout)).toEqual({ chose: { kind: 'car' } });
    // Not served here: the agent's invoke is answered 404 and its call fails with that error.
    const unserved = await runCli(['call', urls[transport], 'clarify', '--token', TOKEN]);
    expect(unserved.code).toBe(1);
    expect(unserved.stderr).toMatch(/which/);
  });

  it('prints every frame annotated with --frames', async () => {
    const r = await runCli(['call', urls[transport], 'echo', '{"text":"hi"}', '--token', TOKEN, '--frames']);
    expect(r.code).toBe(0);
    const frames = r.stderr.trim().split('\n').map((l) => JSON.parse(l) as { dir: string; typeName: string; payload?: Record<string, unknown> });
    expect(frames[0]).toMatchObject({ dir: 'out', typeName: 'HELLO' });
    expect(frames[1]).toMatchObject({ dir: 'in', typeName: 'HELLO', flagNames: ['REPLY'] });
    const invoke = frames.find((f) => f.typeName === 'INVOKE');
    // The frames as they travel: the lean envelope is agreed by default (protocol.md §6), so the
    // INVOKE's message id is 16 bytes and the keys are short.
    expect(frames[1]).toMatchObject({ payload: { lean: true } });
    expect(invoke).toMatchObject({ dir: 'out', payload: { i: { $bin: expect.stringMatching(/^[0-9a-f]{32}$/) }, n: 'echo', a: { text: 'hi' } } });
    expect(frames.find((f) => f.typeName === 'COMPLETE')).toMatchObject({ dir: 'in', payload: { r: { text: 'hi' } } });
  });

  it('fails clearly: wrong token, unknown tool, bad arguments', async () => {
    const noToken = await runCli(['tools', urls[transport]]);
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toMatch(/^agentsocket: .*401|unauthori[sz]ed|token/im);
    const unknown = await runCli(['call', urls[transport], 'stroy', '--token', TOKEN]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/404/);
    expect(unknown.stderr).toMatch(/stroy/);
    const invalid = await runCli(['call', urls[transport], 'echo', '{"text":5}', '--token', TOKEN]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/422/);
  });
});

describe('agentsocket without a server', () => {
  it('names the URL it could not reach', async () => {
    const r = await runCli(['tools', 'ws://127.0.0.1:9/asp']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('127.0.0.1:9');
  });

  it('refuses bad usage with exit code 2 and says why', async () => {
    expect((await runCli([])).code).toBe(2);
    const badJson = await runCli(['call', 'ws://127.0.0.1:9/asp', 'echo', '{nope']);
    expect(badJson.code).toBe(2);
    expect(badJson.stderr).toMatch(/not JSON/);
    const badUrl = await runCli(['tools', 'ftp://x']);
    expect(badUrl.code).toBe(1);
    expect(badUrl.stderr).toMatch(/ws:\/\/, wss:\/\/, http:\/\/ or https:\/\//);
  });

  it('decodes frames from hex, arguments or standard input, batches included', async () => {
    const ack = await runCli(['decode', '1800000000000006 81a361636b04']);
    expect(ack.code).toBe(0);
    expect(JSON.parse(ack.stdout)).toMatchObject({ typeName: 'ACK', payload: { ack: 4 } });
    const two = '180000000000000681a361636b04'.repeat(2);
    const batch = await runCli(['decode'], `${two}\n`);
    expect(JSON.parse(batch.stdout)).toMatchObject({ batch: [{ typeName: 'ACK' }, { typeName: 'ACK' }] });
    const bad = await runCli(['decode', '1800']);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({ hex: '1800' });
  });
});
