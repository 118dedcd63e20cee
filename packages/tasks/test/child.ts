import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SpaceConfig } from './fixture.js';

/** A worker in its own process (fixtures/worker-process.ts); lines it prints are collected. */
export class WorkerProcess {
  readonly child: ChildProcess;
  readonly lines: string[] = [];

  constructor(config: SpaceConfig) {
    const file = fileURLToPath(new URL('./fixtures/worker-process.ts', import.meta.url));
    this.child = spawn(process.execPath, ['--conditions=@agentsocket/source', '--import', 'tsx', file, JSON.stringify(config)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let buffer = '';
    this.child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const parts = buffer.split('\n');
      buffer = parts.pop() ?? '';
      this.lines.push(...parts);
    });
  }

  /** SIGKILL: no goodbye, no ack, no close of its connections but the kernel's. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill('SIGKILL');
    });
  }
}
