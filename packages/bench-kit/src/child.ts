import { type ChildProcess, fork } from 'node:child_process';

/**
 * Servers under test in their own process, driven over Node's IPC channel: the child says
 * `ready` (with e.g. its URL), answers named requests (e.g. byte counters), and stops on request.
 * The child side is `serveAsChild`.
 */
export interface ChildHandle {
  readonly pid: number;
  /** What the child reported when it became ready. */
  readonly ready: unknown;
  /** Asks the child for something by name; resolves with its answer. */
  request(name: string): Promise<unknown>;
  /** Asks the child to stop, and kills it if it does not exit in time. */
  stop(): Promise<void>;
}

type ToChild = { kind: 'request'; id: number; name: string } | { kind: 'stop' };

export interface StartChildOptions {
  /** Node flags for the child. @default process.execArgv (so a tsx/--conditions/--cpu-prof run carries over) */
  execArgv?: string[];
  /** @default 20000 */
  readyTimeoutMs?: number;
}

export function startChild(entry: string, args: readonly string[], options: StartChildOptions = {}): Promise<ChildHandle> {
  const child = fork(entry, [...args], { execArgv: options.execArgv ?? process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  return new Promise<ChildHandle>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`${entry} ${args.join(' ')} was not ready within ${options.readyTimeoutMs ?? 60_000} ms`));
      child.kill('SIGKILL');
    }, options.readyTimeoutMs ?? 60_000);
    child.on('exit', (code, signal) => {
      exited = true;
      clearTimeout(timer);
      const error = new Error(`bench child ${args.join(' ')} exited (${signal ?? code})`);
      reject(error);
      for (const p of pending.values()) p.reject(error);
      pending.clear();
    });
    child.on('message', (message: unknown) => {
      if (!isRecord(message)) return;
      if (message['kind'] === 'ready') {
        clearTimeout(timer);
        resolve(handle(child, message['data']));
      } else if (message['kind'] === 'reply' && typeof message['id'] === 'number') {
        const p = pending.get(message['id']);
        pending.delete(message['id']);
        if (typeof message['error'] === 'string') p?.reject(new Error(message['error']));
        else p?.resolve(message['data']);
      } else if (message['kind'] === 'failed') {
        clearTimeout(timer);
        reject(new Error(`bench child ${args.join(' ')} failed: ${String(message['error'])}`));
      }
    });
  });

  function handle(proc: ChildProcess, ready: unknown): ChildHandle {
    const send = (m: ToChild) => proc.send(m);
    return {
      pid: proc.pid ?? -1,
      ready,
      request: (name) =>
        new Promise((resolve, reject) => {
          if (exited) {
            reject(new Error('bench child has exited'));
            return;
          }
          const id = nextId++;
          pending.set(id, { resolve, reject });
          send({ kind: 'request', id, name });
        }),
      stop: async () => {
        if (exited) return;
        send({ kind: 'stop' });
        const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
        await exit;
        clearTimeout(timer);
      },
    };
  }
}

export interface ChildService {
  /** Sent to the parent once; e.g. `{ url }`. */
  ready: unknown;
  /** Answers to named requests from the parent. */
  handlers: Record<string, () => unknown>;
  stop(): Promise<void>;
}

/** The child side of startChild: starts the service, reports ready, answers until told to stop. */
export async function serveAsChild(start: () => Promise<ChildService>): Promise<void> {
  const send = (m: unknown) => process.send?.(m);
  let service: ChildService;
  try {
    service = await start();
  } catch (error) {
    send({ kind: 'failed', error: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  }
  // The parent going away (crash, Ctrl-C) must not leave a server behind.
  process.on('disconnect', () => process.exit(0));
  process.on('message', (message: unknown) => {
    if (!isRecord(message)) return;
    if (message['kind'] === 'stop') {
      void service.stop().finally(() => process.exit(0));
      return;
    }
    if (message['kind'] === 'request' && typeof message['id'] === 'number' && typeof message['name'] === 'string') {
      const id = message['id'];
      const handler = service.handlers[message['name']];
      if (!handler) {
        send({ kind: 'reply', id, error: `no handler "${message['name']}"` });
        return;
      }
      Promise.resolve()
        .then(handler)
        .then(
          (data) => send({ kind: 'reply', id, data }),
          (error: unknown) => send({ kind: 'reply', id, error: error instanceof Error ? error.message : String(error) }),
        );
    }
  });
  send({ kind: 'ready', data: service.ready });
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
