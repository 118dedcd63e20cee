/** Something checked on every beat of its period (a Peer: liveness check, client PING). */
export interface Beating {
  heartbeat(now: number): void;
}

interface Period {
  readonly timer: ReturnType<typeof setInterval>;
  readonly members: Set<Beating>;
}

/**
 * Heartbeat timers shared by many peers: one interval per period length, not one per session, so
 * a server holding thousands of idle sessions keeps a handful of timers. A member that joins a
 * running period gets its first beat within one period rather than exactly one period later.
 */
export class HeartbeatClock {
  readonly #periods = new Map<number, Period>();

  /** Beats `member` every `periodMs` until deleted; a period of 0 or less never beats. */
  add(member: Beating, periodMs: number): void {
    if (periodMs <= 0) return;
    let period = this.#periods.get(periodMs);
    if (!period) {
      const members = new Set<Beating>();
      const timer = setInterval(() => {
        const now = Date.now();
        for (const m of members) m.heartbeat(now);
      }, periodMs);
      // Heartbeats alone must not keep a process alive.
      if (typeof timer === 'object' && 'unref' in timer) timer.unref();
      period = { timer, members };
      this.#periods.set(periodMs, period);
    }
    period.members.add(member);
  }

  delete(member: Beating, periodMs: number): void {
    const period = this.#periods.get(periodMs);
    if (!period?.members.delete(member) || period.members.size > 0) return;
    clearInterval(period.timer);
    this.#periods.delete(periodMs);
  }
}
