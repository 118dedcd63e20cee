import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type NginxConfOptions, nginxConf } from './nginx-conf.js';
import { accepts, freePort } from './ports.js';
import { waitFor } from './wait.js';

/** Where the Debian package puts nginx; NGINX_BIN overrides. */
export function nginxBinary(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = [env['NGINX_BIN'], '/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx'];
  return candidates.find((c): c is string => c !== undefined && c !== '' && existsSync(c));
}

export interface NginxOptions extends Omit<NginxConfOptions, 'dir' | 'port'> {
  /** @default a free port */
  port?: number;
  /** @default nginxBinary() */
  binary?: string;
}

export interface RunningNginx {
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly dir: string;
  readonly conf: string;
  readonly pid: number | undefined;
  /** The error log so far (for failure messages). */
  errorLog(): Promise<string>;
  /** Stops nginx (SIGTERM, then SIGKILL) and removes its directory. */
  stop(): Promise<void>;
}

/**
 * Runs nginx in the foreground as our child (`daemon off`), with its pid, logs and temp files in
 * a fresh temp dir, so nothing outside it is touched and the caller owns the process.
 */
export async function startNginx(options: NginxOptions): Promise<RunningNginx> {
  const binary = options.binary ?? nginxBinary();
  if (!binary) throw new Error('nginx not found (apt-get install -y nginx, or set NGINX_BIN)');
  const dir = await mkdtemp(join(tmpdir(), 'asp-nginx-'));
  const port = options.port ?? (await freePort());
  const conf = nginxConf({ ...options, dir, port });
  const confPath = join(dir, 'nginx.conf');
  await writeFile(confPath, conf);
  // -e: the error log before the config is read, so nothing is written to /var/log/nginx.
  const child: ChildProcess = spawn(binary, ['-e', join(dir, 'error.log'), '-c', confPath, '-p', dir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
    child.once('error', () => {
      exited = true;
      resolve();
    });
  });
  const errorLog = async () => readFile(join(dir, 'error.log'), 'utf8').catch(() => '');
  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM'); // fast shutdown: a graceful one would wait for every open WebSocket
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exit;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(async () => exited || (await accepts(port)), `nginx to listen on ${port}`, 10_000);
    if (exited) throw new Error(`nginx exited at start: ${stderr.trim()} ${(await errorLog()).trim()}`);
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, url: `http://127.0.0.1:${port}`, dir, conf, pid: child.pid, errorLog, stop };
}
