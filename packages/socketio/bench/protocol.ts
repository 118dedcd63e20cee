/** Messages between the bench and its server child processes (IPC), validated on receipt. */

export type ServerMode = 'asp-sio' | 'plain-sio' | 'raw-ws' | 'asp-ws' | 'cluster-node';
export const SERVER_MODES: readonly ServerMode[] = ['asp-sio', 'plain-sio', 'raw-ws', 'asp-ws', 'cluster-node'];

export type ChildMessage =
  | { type: 'ready'; port: number }
  | { type: 'memory'; rss: number; heapUsed: number; connections: number };

export type ParentMessage = { type: 'measure' } | { type: 'stop' };

export function parseChildMessage(value: unknown): ChildMessage | undefined {
  if (typeof value !== 'object' || value === null || !('type' in value)) return undefined;
  if (value.type === 'ready' && 'port' in value && typeof value.port === 'number') return { type: 'ready', port: value.port };
  if (
    value.type === 'memory' &&
    'rss' in value &&
    typeof value.rss === 'number' &&
    'heapUsed' in value &&
    typeof value.heapUsed === 'number' &&
    'connections' in value &&
    typeof value.connections === 'number'
  ) {
    return { type: 'memory', rss: value.rss, heapUsed: value.heapUsed, connections: value.connections };
  }
  return undefined;
}

export function parseParentMessage(value: unknown): ParentMessage | undefined {
  if (typeof value !== 'object' || value === null || !('type' in value)) return undefined;
  if (value.type === 'measure') return { type: 'measure' };
  if (value.type === 'stop') return { type: 'stop' };
  return undefined;
}
