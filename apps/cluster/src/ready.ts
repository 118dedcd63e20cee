/** The one line a node prints on stdout once it serves; the supervisor waits for it. */
export interface ReadyLine {
  event: 'ready';
  node: string;
  port: number;
  pid: number;
}

export function formatReady(ready: Omit<ReadyLine, 'event'>): string {
  return JSON.stringify({ event: 'ready', ...ready });
}

/** Parses a line a child printed; undefined for anything that is not a ready line. */
export function parseReady(line: string): ReadyLine | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  if (!('event' in value) || value.event !== 'ready') return undefined;
  if (!('node' in value) || typeof value.node !== 'string') return undefined;
  if (!('port' in value) || typeof value.port !== 'number') return undefined;
  if (!('pid' in value) || typeof value.pid !== 'number') return undefined;
  return { event: 'ready', node: value.node, port: value.port, pid: value.pid };
}
