import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type ChildMessage, type ParentMessage, parseChildMessage, type ServerMode } from './protocol.js';

const SERVER = fileURLToPath(new URL('./server.ts', import.meta.url));

/** One benchmark server in its own process, so its memory and CPU are its own. */
export class ServerChild {
  readonly port: number;
  private readonly child: ChildProcess;
  private waiting: Array<(m: ChildMessage) => void> = [];

  private constructor(child: ChildProcess, port: number) {
    this.child = child;
    this.port = port;
    child.on('message', (raw) => {
      const m = parseChildMessage(raw);
      if (m) for (const w of this.waiting.splice(0)) w(m);
    });
  }

  static async start(mode: ServerMode, args: string[] = []): Promise<ServerChild> {
    const child = fork(SERVER, [mode, ...args], {
      execArgv: ['--conditions=@agentsocket/source', '--import', 'tsx', '--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const port = await new Promise<number>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`${mode} server exited with ${code}`)));
      child.on('message', (raw) => {
        const m = parseChildMessage(raw);
        if (m?.type === 'ready') resolve(m.port);
      });
    });
    child.removeAllListeners('exit');
    return new ServerChild(child, port);
  }

  /** The server's memory after two full GCs, and how many connections it holds. */
  async measure(): Promise<Extract<ChildMessage, { type: 'memory' }>> {
    for (;;) {
      const reply = new Promise<ChildMessage>((resolve) => this.waiting.push(resolve));
      this.send({ type: 'measure' });
      const m = await reply;
      if (m.type === 'memory') return m;
    }
  }

  async stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.send({ type: 'stop' });
    await exited;
  }

  private send(message: ParentMessage): void {
    this.child.send(message);
  }
}
