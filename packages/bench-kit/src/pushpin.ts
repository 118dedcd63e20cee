import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';

// Pushpin, Relay mode's baseline (WebSocket-over-HTTP), started privately for a test or a benchmark:
// packages/relay/test/pushpin.test.ts and apps/compare's Pushpin variant both use this one copy.

/** Whether the pushpin binary is installed (Debian package `pushpin`). */
export function hasPushpin(): boolean {
  try {
    execFileSync('pushpin', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const { connect } = await import('node:net');
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`pushpin did not listen on ${port} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Pushpin's own log files (logdir is the private run directory), for an error message. */
function pushpinLogs(dir: string): string {
  try {
    return readdirSync(dir)
      .filter((name) => name.endsWith('.log'))
      .map((name) => `--- ${name}\n${readFileSync(join(dir, name), 'utf8').slice(-4000)}`)
      .join('\n');
  } catch {
    return '(no logs)';
  }
}

/**
 * Waits until a WebSocket opens through Pushpin to the backend. Pushpin's HTTP port accepts before
 * the proxy reaches the backend through zurl; meanwhile an open is answered 502. Only a 502 (or a
 * refused/reset connection) is tried again; anything else is a real failure.
 */
async function waitForBackendPath(port: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const outcome = await new Promise<'open' | string>((resolve) => {
      const socket = new WebSocket(`ws://127.0.0.1:${port}/`);
      const timer = setTimeout(() => {
        socket.terminate();
        resolve('no answer within 2 s');
      }, 2_000);
      socket.once('open', () => {
        clearTimeout(timer);
        socket.close();
        resolve('open');
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        resolve(error.message);
      });
    });
    if (outcome === 'open') return;
    last = outcome;
    const retry = /502|503|ECONNREFUSED|ECONNRESET|socket hang up|no answer/.test(outcome);
    if (!retry || Date.now() > until) throw new Error(`a WebSocket through pushpin did not open within ${timeoutMs} ms: ${last}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export interface PushpinHandle {
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * Starts a private Pushpin (its own run directory, ports and IPC names) that proxies WebSocket
 * clients to `backendPort` in WebSocket-over-HTTP mode (`over_http`).
 */
export async function startPushpin(backendPort: number): Promise<PushpinHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'pushpin-'));
  const port = await freePort();
  const pushPort = await freePort();
  writeFileSync(join(dir, 'routes'), `* 127.0.0.1:${backendPort},over_http\n`);
  writeFileSync(
    join(dir, 'pushpin.conf'),
    [
      '[global]',
      'include={libdir}/internal.conf',
      `rundir=${dir}`,
      'ipc_prefix=pp-',
      '[runner]',
      // zurl makes the proxy's requests to the backend.
      'services=condure,zurl,pushpin-proxy,pushpin-handler',
      'zurl_bin=zurl',
      `http_port=${port}`,
      // A WebSocket message must fit in the client buffer (8192 bytes by default): a larger one
      // stalls the connection, so compare's 16 KiB-argument profile never got an answer.
      'client_buffer_size=262144',
      `logdir=${dir}`,
      'log_level=1',
      'condure_bin=condure',
      '[proxy]',
      // The proxy reaches zurl where the runner put it (internal.conf names /var/run/zurl).
      `zurl_out_specs=ipc://${dir}/pp-zurl-in`,
      `zurl_out_stream_specs=ipc://${dir}/pp-zurl-in-stream`,
      `zurl_in_specs=ipc://${dir}/pp-zurl-out`,
      'routesfile=routes',
      'sig_key=pushpin-baseline',
      'updates_check=off',
      '[handler]',
      `push_in_spec=ipc://${dir}/push-in`,
      `push_in_sub_specs=ipc://${dir}/push-in-sub`,
      'push_in_http_addr=127.0.0.1',
      `push_in_http_port=${pushPort}`,
      `stats_spec=ipc://${dir}/stats`,
      `command_spec=ipc://${dir}/handler-command`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn('pushpin', ['--config', join(dir, 'pushpin.conf'), '--merge-output'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const died = exited.then(() => Promise.reject(new Error(`pushpin exited: ${output}`)));
    await Promise.race([waitForPort(port, 20_000), died]);
    await Promise.race([waitForBackendPath(port, 40_000), died]);
  } catch (error) {
    child.kill('SIGKILL');
    const logs = pushpinLogs(dir);
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${output}\n${logs}`);
  }
  return {
    port,
    async stop() {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(killer);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
