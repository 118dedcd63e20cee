import type { AgentClient, ReconnectingInfo } from '@agentsocket/core';

export interface ReconnectStats {
  /** Connections lost (disconnect events). */
  drops: number;
  /** Connections made again after a drop. */
  reconnects: number;
  /** Of those, how many resumed the same session. */
  resumed: number;
  /** Attempts made (reconnecting events); more than reconnects when attempts failed. */
  attempts: number;
  /** Longest time from a drop to the next connect, ms, and the median. */
  maxWaitMs: number;
  p50WaitMs: number;
  /** Why attempts failed (the cause each retry after the first names), most frequent first. */
  failures: Array<[string, number]>;
}

/** Watches clients from now on: how often they lost their connection and how long they waited for the next one. */
export function watchReconnects(clients: readonly AgentClient[]): { stats(): ReconnectStats; stop(): void } {
  const waits: number[] = [];
  let drops = 0;
  let attempts = 0;
  let resumed = 0;
  const failures = new Map<string, number>();
  const offs: Array<() => void> = [];
  for (const client of clients) {
    let since: number | undefined;
    const onDisconnect = () => {
      drops++;
      since ??= Date.now();
    };
    const onConnect = (info: { resumed: boolean }) => {
      if (since === undefined) return;
      waits.push(Date.now() - since);
      since = undefined;
      if (info.resumed) resumed++;
    };
    const onReconnecting = (info: ReconnectingInfo) => {
      attempts++;
      if (info.attempt > 1) {
        // Ports and ids differ per attempt; the kind of failure is what matters.
        const why = `${info.cause.code} ${info.cause.message}`.replace(/\s+/g, ' ').replace(/\d+/g, 'N').slice(0, 120);
        failures.set(why, (failures.get(why) ?? 0) + 1);
      }
    };
    offs.push(client.on('disconnect', onDisconnect), client.on('connect', onConnect), client.on('reconnecting', onReconnecting));
  }
  return {
    stats() {
      const sorted = [...waits].sort((a, b) => a - b);
      return {
        drops,
        reconnects: waits.length,
        resumed,
        attempts,
        maxWaitMs: sorted[sorted.length - 1] ?? 0,
        p50WaitMs: sorted[Math.floor(sorted.length / 2)] ?? 0,
        failures: [...failures].sort((a, b) => b[1] - a[1]),
      };
    },
    stop() {
      for (const off of offs) off();
    },
  };
}

/** The three most frequent causes of failed attempts, for a summary row. */
export function formatFailures(r: ReconnectStats): string {
  if (r.failures.length === 0) return 'none';
  return r.failures
    .slice(0, 3)
    .map(([why, n]) => `${n}× ${why}`)
    .join('; ');
}
