import { AgentSocketError } from './errors.js';
import * as ErrorCode from './error-code.js';
import type { IncomingCalls } from './incoming-calls.js';
import type { Peer } from './peer.js';

/**
 * A peer's incoming calls while their module loads (a client's first INVOKE: a client that serves
 * no tools does not load it before): what arrives meanwhile (INVOKE, INTERRUPT, the connection's
 * end) waits here and is applied in arrival order once the module is there. If it cannot be
 * loaded (a browser gone offline), each waiting INVOKE is answered with ERROR 503.
 */
export class IncomingLoading {
  readonly #waiting: Array<{ op: (calls: IncomingCalls) => void; rid: number; reliable: boolean }> = [];

  /** `settled`: the calls, made once loaded; undefined when the load failed (the next INVOKE tries again). */
  constructor(peer: Peer, settled: (calls: IncomingCalls | undefined) => void) {
    import('./serving.js').then(
      (m) => {
        const calls = new m.IncomingCalls(new m.PeerIncoming(peer));
        settled(calls);
        for (const w of this.#waiting) w.op(calls);
      },
      (error: unknown) => {
        settled(undefined);
        const reason = error instanceof Error ? error.message : String(error);
        peer.reportError(new AgentSocketError('CONNECTION_LOST', `cannot take calls from the peer: ${reason}`, { cause: error }));
        for (const w of this.#waiting) if (w.rid !== 0) peer.refuse(w.rid, w.reliable, ErrorCode.UNAVAILABLE, `this peer cannot take calls now: ${reason}`);
      },
    );
  }

  /** Applies `op` once loaded; `rid` and `reliable`: an INVOKE's, to answer it should the load fail. */
  add(op: (calls: IncomingCalls) => void, rid = 0, reliable = false): void {
    this.#waiting.push({ op, rid, reliable });
  }

  /** Request ids of the INVOKEs waiting (they will run, or be answered, once loaded). */
  ids(): number[] {
    return this.#waiting.filter((w) => w.rid !== 0).map((w) => w.rid);
  }
}
