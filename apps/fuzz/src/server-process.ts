import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Reply, Request } from './ipc.js';

type Answer<T extends Reply['type']> = Extract<Reply, { type: T }>;
type Question = { type: 'memory'; gc: boolean } | { type: 'peak' } | { type: 'stats' };

/** The server under fuzz in a child process (src/server.ts), with its memory measured from outside the suite's own heap. */
export class ServerProcess {
  readonly ws: string;
  readonly sio: string;
  private readonly child: ChildProcess;
  private nextId = 1;
  private readonly waiting = new Map<number, (reply: Reply) => void>();
  /** Set when the process ended: the suite's first assertion, that the server survives. */
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  private constructor(child: ChildProcess, ready: Answer<'ready'>) {
    this.child = child;
    this.ws = ready.ws;
    this.sio = ready.sio;
    child.on('message', (reply: Reply) => {
      if (reply.type === 'ready') return;
      this.waiting.get(reply.id)?.(reply);
      this.waiting.delete(reply.id);
    });
    child.on('exit', (code, signal) => {
      this.exit = { code, signal };
    });
  }

  static start(): Promise<ServerProcess> {
    const entry = fileURLToPath(new URL('./server.ts', import.meta.url));
    const child = fork(entry, [], {
      execArgv: ['--expose-gc', '--conditions=@agentsocket/source', '--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`the fuzz server exited with ${code} before it was ready`));
      child.once('exit', onExit);
      child.once('message', (reply: Reply) => {
        child.off('exit', onExit);
        if (reply.type === 'ready') resolve(new ServerProcess(child, reply));
        else reject(new Error(`the fuzz server said ${reply.type} before ready`));
      });
    });
  }

  /** Asks the server; rejects if it does not answer within 15 s (it is then stuck or gone). */
  ask<T extends Question>(question: T): Promise<Answer<T['type']>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`the fuzz server did not answer ${question.type} within 15 s${this.exit ? ` (it exited: ${JSON.stringify(this.exit)})` : ''}`));
      }, 15_000);
      this.waiting.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply as Answer<T['type']>);
      });
      this.child.send({ ...question, id } satisfies Request);
    });
  }

  stop(): Promise<void> {
    if (this.exit) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill('SIGKILL');
    });
  }
}
