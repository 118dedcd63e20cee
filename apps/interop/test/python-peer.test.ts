// Runs apps/interop/peer.py — an ASP client written in Python from docs/protocol.md alone —
// against the demo server, started as a child process exactly as a peer author would start it.
// Nothing here imports our TypeScript packages: the point is that the spec is enough.
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PYTHON = '/usr/bin/python3';
const PEER = 'apps/interop/peer.py';
const VECTORS = 'docs/test-vectors.json';
const TOKEN = 'secret-token'; // the token the handshake vectors carry
const RUN_TIMEOUT = 90_000;

function pythonProblem(): string | undefined {
  if (!existsSync(PYTHON)) return `${PYTHON} does not exist`;
  const probe = spawnSync(PYTHON, ['-c', 'import msgpack, websockets'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    return `${PYTHON} lacks msgpack or websockets (apt-get install python3-msgpack python3-websockets): ${probe.stderr.trim()}`;
  }
  return undefined;
}

const problem = pythonProblem();
const inCI = process.env['CI'] === 'true';
if (problem !== undefined && !inCI) {
  console.warn(
    `\n${'!'.repeat(78)}\n!!! SKIPPING the Python interop peer test: ${problem}\n${'!'.repeat(78)}\n`,
  );
}

interface PeerRun {
  code: number | null;
  stdout: string;
  stderr: string;
  summary: Summary;
}

interface Summary {
  ok: boolean;
  codec?: string;
  agent?: string;
  tools?: string[];
  chunks?: number;
  clarified?: boolean;
  clarify?: { question: string; options: string[]; answer: string; reliable: boolean };
  complete?: { result: unknown; metrics: { durationMs?: number; cpuMs?: number; chunks?: number } };
  announced?: string;
  announced_result?: unknown;
  at_most_once?: { kind: string; chunks: number };
  exactly_once?: { same_result: boolean; first: { chunks: number }; repeat: { chunks: number } };
  error_code?: number;
  resume?: { resumed: boolean; chunks: number; duplicates: number };
  pongs?: number;
  acks?: { our_last_sq: number; server_acked: number; server_last_sq: number; we_acked: number };
  close_code?: number;
  batching?: { agreed: boolean; messages_in: number; frames_in: number; batches_in: number; batches_out: number };
  calls?: { made: number; echoed: number; inflight: number; ms_per_call: number };
  piggyback?: {
    agreed: boolean;
    acks_in: number;
    carried_in: number;
    released_by_carried: number;
    emptied_by_carried: number;
    stray_acks_in: number;
    acks_out: number;
    carried_out: number;
  };
  lean?: { agreed: boolean; out: number; in: number; complete_without_metrics: number };
  handshake_error?: { code: number | null; message: string; close: number | null; http: number | null };
  failures?: string[];
  violations?: string[];
  mismatches?: unknown[];
  probed?: number;
  skipped?: string[];
  checks?: number;
  vectors?: number;
}

function runPeer(args: string[]): Promise<PeerRun> {
  return new Promise((resolve) => {
    execFile(
      PYTHON,
      [PEER, ...args],
      { cwd: ROOT, timeout: RUN_TIMEOUT, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const lines = stdout.trim().split('\n');
        const last = lines[lines.length - 1] ?? '';
        let summary: Summary;
        try {
          summary = JSON.parse(last) as Summary;
        } catch {
          summary = { ok: false, failures: [`no JSON summary; stdout tail: ${last}; stderr: ${stderr}`] };
        }
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ code, stdout, stderr, summary });
      },
    );
  });
}

interface Server {
  url: string;
  child: ChildProcess;
}

function stopServer(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    const pid = child.pid;
    if (pid === undefined || child.exitCode !== null || child.signalCode !== null) {
      resolve();
      return;
    }
    const hard = setTimeout(() => {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
      resolve();
    }, 5_000);
    child.once('exit', () => {
      clearTimeout(hard);
      resolve();
    });
    try {
      // The server was spawned as the leader of its own
      // process group, so signal the whole group (by its id) and nothing else.
      process.kill(-pid, 'SIGTERM');
    } catch {
      clearTimeout(hard);
      resolve();
    }
  });
}

const started: ChildProcess[] = [];
process.once('exit', () => {
  for (const child of started) {
    if (child.pid !== undefined && child.exitCode === null) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
});

function startServer(extra: string[]): Promise<Server> {
  // The demo's `serve` script run directly with this Node (tsx as a loader), so the test needs no
  // package manager on PATH.
  const child = spawn(process.execPath, ['--conditions=@agentsocket/source', '--import', 'tsx', 'src/serve.ts', '--port', '0', ...extra], {
    cwd: join(ROOT, 'apps', 'demo'),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stopServer(child);
      reject(new Error(`the demo server did not print its URL within 25 s:\n${output}`));
    }, 25_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening (ws:\/\/\S+)/.exec(output);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve({ url: match[1], child });
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the demo server exited with ${code}:\n${output}`));
    });
  });
}

function expectScenario(run: PeerRun, codec: string): void {
  const s = run.summary;
  expect(s.failures ?? [], run.stdout.slice(-4000)).toEqual([]);
  expect(s.ok).toBe(true);
  expect(run.code).toBe(0);
  expect(s.codec).toBe(codec);
  expect(s.agent).toBe('research-assistant');
  expect(s.tools).toContain('research');
  // research "jaguar": streamed chunks, asked the client to clarify, then COMPLETE with metrics.
  expect(s.chunks).toBeGreaterThan(0);
  expect(s.clarified).toBe(true);
  expect(s.clarify?.options.length).toBeGreaterThan(0);
  expect(s.clarify?.answer).toBe(s.clarify?.options[0]);
  expect(s.complete?.metrics.chunks).toBe(s.chunks);
  expect(typeof s.complete?.metrics.durationMs).toBe('number');
  // The tool announced by TOOL_DEF mid-session was called and completed.
  expect(typeof s.announced).toBe('string');
  expect(s.tools).not.toContain(s.announced);
  expect(s.announced_result).toBeDefined();
  // At-most-once, exactly-once, and the failing call.
  expect(s.at_most_once?.kind).toBe('complete');
  expect(s.at_most_once?.chunks).toBeGreaterThan(0);
  expect(s.exactly_once?.same_result).toBe(true);
  expect(s.exactly_once?.repeat.chunks).toBe(s.exactly_once?.first.chunks);
  expect(s.error_code).toBe(422);
  // Drop and resume: nothing lost, nothing twice.
  expect(s.resume?.resumed).toBe(true);
  expect(s.resume?.duplicates).toBe(0);
  // Heartbeats, acknowledgements, clean close.
  expect(s.pongs).toBeGreaterThan(0);
  expect(s.acks?.server_acked).toBe(s.acks?.our_last_sq);
  expect(s.acks?.we_acked).toBe(s.acks?.server_last_sq);
  expect(s.violations).toEqual([]);
  expect(s.close_code).toBe(1000);
}

describe.skipIf(problem !== undefined)('Python peer written from docs/protocol.md', () => {
  it('encodes and decodes every frame of docs/test-vectors.json', async () => {
    const run = await runPeer(['--vectors', VECTORS]);
    expect(run.summary.mismatches, run.stdout).toEqual([]);
    expect(run.summary.ok).toBe(true);
    expect(run.summary.vectors).toBeGreaterThan(50);
    expect(run.code).toBe(0);
  });

  describe('against the demo server', () => {
    let server: Server | undefined;
    beforeAll(async () => {
      server = await startServer([]);
    });
    afterAll(async () => {
      if (server) await stopServer(server.child);
    });
    const url = (): string => {
      if (!server) throw new Error('server not started');
      return server.url;
    };

    it(
      'runs the whole scenario with MessagePack',
      async () => {
        expectScenario(await runPeer([url()]), 'msgpack');
      },
      RUN_TIMEOUT,
    );

    it(
      'runs the whole scenario with batching agreed (several frames per WebSocket message, §2)',
      async () => {
        const run = await runPeer([url(), '--batch']);
        expectScenario(run, 'msgpack');
        expect(run.summary.batching?.agreed).toBe(true);
        // Frames the server produces in one turn (a replayed exactly-once outcome, a resume's replay)
        // arrive together, and the peer cut them apart by their headers.
        expect(run.summary.batching?.batches_in).toBeGreaterThan(0);
        expect(run.summary.batching?.frames_in).toBeGreaterThan(run.summary.batching?.messages_in ?? Number.POSITIVE_INFINITY);
        // Without --batch the server never batches towards the peer.
        const plain = await runPeer([url(), '--no-resume']);
        expect(plain.summary.batching?.agreed).toBe(false);
        expect(plain.summary.batching?.batches_in).toBe(0);
        expect(plain.summary.batching?.frames_in).toBe(plain.summary.batching?.messages_in);
      },
      RUN_TIMEOUT * 2,
    );

    it(
      'runs the whole scenario with acks carried by other frames agreed (piggyback, §11)',
      async () => {
        // 40 extra at-least-once `ping` calls in waves of 8, each wave once everything before it is
        // acknowledged: the server has 8 of our RELIABLE frames unacknowledged at the end of a
        // wave, so (§11 "Reference") the next frame it sends carries `ack` instead of an ACK frame.
        const calls = ['--calls', '40', '--inflight', '8'];
        const run = await runPeer([url(), '--piggyback', ...calls]);
        expectScenario(run, 'msgpack');
        const s = run.summary;
        expect(s.calls).toMatchObject({ made: 40, echoed: 40 });
        expect(s.piggyback?.agreed).toBe(true);
        // The server's frames carried `ack`, released the frames the peer kept, and left none kept.
        expect(s.piggyback?.carried_in, JSON.stringify(s.piggyback)).toBeGreaterThanOrEqual(3);
        expect(s.piggyback?.released_by_carried).toBeGreaterThanOrEqual(s.piggyback?.carried_in ?? 1);
        expect(s.piggyback?.emptied_by_carried).toBeGreaterThan(0);
        // The peer carried its own acks too (the server accepted them: everything it sent is acked).
        expect(s.piggyback?.carried_out).toBeGreaterThan(0);
        expect(s.piggyback?.stray_acks_in).toBe(0);
        // Without --piggyback, the same traffic: the server sends only ACK frames, never `ack`
        // in another payload, and the peer carries nothing either.
        const plain = await runPeer([url(), '--no-resume', ...calls]);
        expect(plain.summary.failures ?? [], plain.stdout.slice(-4000)).toEqual([]);
        expect(plain.summary.ok).toBe(true);
        expect(plain.summary.calls).toMatchObject({ made: 40, echoed: 40 });
        expect(plain.summary.piggyback).toMatchObject({
          agreed: false,
          carried_in: 0,
          stray_acks_in: 0,
          released_by_carried: 0,
          carried_out: 0,
        });
        expect(plain.summary.piggyback?.acks_in).toBeGreaterThan(0);
        expect(plain.summary.acks?.server_acked).toBe(plain.summary.acks?.our_last_sq);
      },
      RUN_TIMEOUT * 2,
    );

    it(
      'runs the whole scenario with the lean envelope agreed (§6), with MessagePack and with JSON',
      async () => {
        for (const codec of ['msgpack', 'json']) {
          const run = await runPeer([url(), '--lean', '--codec', codec]);
          expectScenario(run, codec);
          const lean = run.summary.lean;
          expect(lean?.agreed).toBe(true);
          // Our INVOKEs and our COMPLETE for `clarify` went lean; the server's STREAMs, COMPLETEs
          // and its `clarify` INVOKE came lean, and were read as the long form would be.
          expect(lean?.out).toBeGreaterThan(3);
          expect(lean?.in).toBeGreaterThan(10);
          // The calls that did not ask for metrics got COMPLETEs without them.
          expect(lean?.complete_without_metrics).toBeGreaterThan(0);
        }
        // Without --lean the server never sends the lean form.
        const plain = await runPeer([url(), '--no-resume']);
        expect(plain.summary.lean).toMatchObject({ agreed: false, out: 0, in: 0, complete_without_metrics: 0 });
      },
      RUN_TIMEOUT * 3,
    );

    it(
      'runs the whole scenario with the JSON codec',
      async () => {
        expectScenario(await runPeer([url(), '--codec', 'json']), 'json');
      },
      RUN_TIMEOUT,
    );

    it(
      'gets the documented reaction to every invalid and rejected vector',
      async () => {
        const run = await runPeer(['--probe', VECTORS, url()]);
        expect(run.summary.mismatches, run.stdout).toEqual([]);
        expect(run.summary.probed).toBeGreaterThan(20);
        expect(run.code).toBe(0);
      },
      RUN_TIMEOUT,
    );
  });

  describe('against the demo server with --token', () => {
    let server: Server | undefined;
    beforeAll(async () => {
      server = await startServer(['--token', TOKEN]);
    });
    afterAll(async () => {
      if (server) await stopServer(server.child);
    });
    const url = (): string => {
      if (!server) throw new Error('server not started');
      return server.url;
    };

    it(
      'authenticates with a bearer token at the upgrade',
      async () => {
        expectScenario(await runPeer([url(), '--token', TOKEN]), 'msgpack');
      },
      RUN_TIMEOUT,
    );

    it(
      'authenticates with the token in HELLO',
      async () => {
        expectScenario(await runPeer([url(), '--token', TOKEN, '--token-in-hello']), 'msgpack');
      },
      RUN_TIMEOUT,
    );

    it('is refused without a token: JSON ERROR 401, then close 4401', async () => {
      const run = await runPeer([url(), '--no-resume']);
      expect(run.code).not.toBe(0);
      expect(run.summary.handshake_error).toMatchObject({ code: 401, close: 4401 });
    });

    it('is refused with a wrong token in the Authorization header: HTTP 401', async () => {
      const run = await runPeer([url(), '--token', 'wrong']);
      expect(run.code).not.toBe(0);
      expect(run.summary.handshake_error).toMatchObject({ http: 401 });
    });

    it(
      'gets the documented reaction to the vectors, including the missing token',
      async () => {
        const run = await runPeer(['--probe', VECTORS, url(), '--token', TOKEN]);
        expect(run.summary.mismatches, run.stdout).toEqual([]);
        expect(run.summary.skipped?.some((s) => s.includes('missing token'))).toBe(false);
        expect(run.code).toBe(0);
      },
      RUN_TIMEOUT,
    );
  });
});

describe.runIf(problem !== undefined && inCI)('Python peer prerequisites (CI)', () => {
  it('has /usr/bin/python3 with msgpack and websockets', () => {
    throw new Error(`CI=true but ${problem}`);
  });
});
