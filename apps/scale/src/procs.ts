import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';

/** Node flags for a child that runs a .ts file of this workspace from source. */
export const NODE = ['--conditions=@agentsocket/source', '--import', 'tsx'];

/** A child process that speaks JSON lines on stdout; `next()` reads the next one. */
export interface Proc {
  child: ChildProcess;
  lines: Interface;
  next(): Promise<Record<string, unknown>>;
}

export function start(args: string[]): Proc {
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout ?? process.stdin });
  const queue: string[] = [];
  const waiting: Array<{ resolve: (line: string) => void; reject: (error: Error) => void }> = [];
  lines.on('line', (line) => {
    const w = waiting.shift();
    if (w) w.resolve(line);
    else queue.push(line);
  });
  child.once('exit', (code) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`child exited (${code})`));
  });
  return {
    child,
    lines,
    next: () =>
      new Promise<string>((resolve, reject) => {
        const line = queue.shift();
        if (line !== undefined) resolve(line);
        else if (child.exitCode !== null) reject(new Error(`child exited (${child.exitCode})`));
        else waiting.push({ resolve, reject });
      }).then((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

/** Closes its stdin (the child exits), then SIGKILL after 5 s. */
export function stop(p: Proc): Promise<void> {
  return new Promise((resolve) => {
    if (p.child.exitCode !== null) return resolve();
    p.child.once('exit', () => resolve());
    p.child.stdin?.end();
    setTimeout(() => p.child.kill('SIGKILL'), 5000).unref();
  });
}
