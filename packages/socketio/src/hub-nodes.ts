import { EventEmitter } from 'node:events';
import type { Namespace } from 'socket.io';
import { HUB_EVENT, type HubAnswer, type HubRequest, parseAnswer } from './hub-protocol.js';

export interface Asked<K extends HubAnswer['type']> {
  answers: Array<Extract<HubAnswer, { type: K }>>;
  /** False when some node did not answer in time, or answered what the hub cannot read. */
  complete: boolean;
}

/** Requests from this node's hub to the others, over the control namespace's adapter. */
export class NodeLink {
  /** False with the in-memory adapter (one server), whose serverSideEmit never answers. */
  readonly clustered: boolean;
  private readonly control: Namespace;
  private readonly timeoutMs: number;

  constructor(control: Namespace, timeoutMs: number) {
    this.control = control;
    this.timeoutMs = timeoutMs;
    this.clustered = implementsServerSideEmit(control.adapter);
  }

  /** Sends a request to every other node without waiting for answers. */
  post(request: HubRequest): void {
    this.emit([HUB_EVENT, request]);
  }

  /** Asks every other node and collects their answers. */
  async ask<K extends HubAnswer['type']>(type: K, request: HubRequest): Promise<Asked<K>> {
    if (!this.clustered) return { answers: [], complete: true };
    let raw: unknown[];
    let complete = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // The adapter times requests out itself (5 s); this bound only guards against one that never answers.
    const guard = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('no answer from the adapter')), this.timeoutMs + 1000);
    });
    const answered = new Promise<unknown[]>((resolve, reject) => {
      const ack = (error: unknown, responses: unknown) => {
        const list = Array.isArray(responses) ? responses : [];
        if (error) reject(Object.assign(new Error(error instanceof Error ? error.message : String(error)), { responses: list }));
        else resolve(list);
      };
      this.emit([HUB_EVENT, request, ack], (error) => ack(error, []));
    });
    try {
      raw = await Promise.race([answered, guard]);
    } catch (error) {
      complete = false;
      raw = error instanceof Error && 'responses' in error && Array.isArray(error.responses) ? error.responses : [];
    } finally {
      clearTimeout(timer);
    }
    const answers: Asked<K>['answers'] = [];
    for (const r of raw) {
      try {
        answers.push(parseAnswer(type, r));
      } catch {
        complete = false;
      }
    }
    return { answers, complete };
  }

  /**
   * The adapter's serverSideEmit, called directly: Namespace.serverSideEmit drops the promise a
   * cluster adapter returns, and a Redis error in it would be an unhandled rejection.
   */
  private emit(packet: unknown[], onError: (error: unknown) => void = () => {}): void {
    try {
      const result: unknown = this.control.adapter.serverSideEmit(packet);
      if (result instanceof Promise) result.catch(onError);
    } catch (error) {
      onError(error);
    }
  }
}

/**
 * Socket.IO's in-memory Adapter (the base class, right above EventEmitter) only warns in
 * serverSideEmit; every cluster adapter overrides it.
 */
function implementsServerSideEmit(adapter: object): boolean {
  let base: object | null = Object.getPrototypeOf(adapter);
  while (base !== null && Object.getPrototypeOf(base) !== EventEmitter.prototype) base = Object.getPrototypeOf(base);
  if (base === null) return true;
  const own: unknown = Reflect.get(adapter, 'serverSideEmit');
  const inherited: unknown = Reflect.get(base, 'serverSideEmit');
  return own !== inherited;
}
