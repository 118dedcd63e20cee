import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
      `logdir=${dir}`,
      'log_level=1',
      'condure_bin=condure',
      '[proxy]',
      // The proxy reaches zurl where the runner put it (internal.conf names /var/run/zurl).
      `zurl_out_specs=ipc://${dir}/pp-zurl-in`,
      `zurl_out_stream_specs=ipc://${dir}/pp-zurl-in-stream`,
      `zurl_in_specs=ipc://${dir}/pp-zurl-out`,
      'routesfile=routes',
      'sig_key=relay-baseline',
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
    await Promise.race([waitForPort(port, 20_000), exited.then(() => Promise.reject(new Error(`pushpin exited: ${output}`)))]);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
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
