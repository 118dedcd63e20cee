import { parseArgs } from 'node:util';

/** What one cluster node needs to know; every field has a flag and an environment variable. */
export interface NodeConfig {
  /** `--port` / `PORT`. @default 8080 */
  port: number;
  /** `--host` / `HOST`. @default '127.0.0.1' (use 0.0.0.0 in a container) */
  host: string;
  /** `--node-id` / `NODE_ID` (in k8s, the pod name). @default `node-<pid>` */
  nodeId: string;
  /** `--redis-url` / `REDIS_URL`. @default 'redis://127.0.0.1:6379' */
  redisUrl: string;
  /** `--prefix` / `REDIS_PREFIX`: keys and channels of this cluster start with it. @default 'asp:' */
  prefix: string;
  /** `--session-ttl-ms` / `SESSION_TTL_MS`: how long a dropped session waits to be resumed. @default 60000 */
  sessionTtlMs: number;
  /** `--hub-heartbeat-ms` / `HUB_HEARTBEAT_MS`: a node missing 3 heartbeats counts as dead. @default 1000 */
  hubHeartbeatMs: number;
  /** `--exit-with-parent`: exit when stdin closes, so a crashed supervisor leaves no orphans. @default false */
  exitWithParent: boolean;
}

/** A node missing 3 heartbeats counts as dead, so this default finds a dead node in about 3 s. */
export const DEFAULT_HUB_HEARTBEAT_MS = 1000;

export const NODE_FLAGS = {
  port: { type: 'string' },
  host: { type: 'string' },
  'node-id': { type: 'string' },
  'redis-url': { type: 'string' },
  prefix: { type: 'string' },
  'session-ttl-ms': { type: 'string' },
  'hub-heartbeat-ms': { type: 'string' },
  'exit-with-parent': { type: 'boolean' },
} as const;

/** Reads flags first, then the environment, then the defaults; refuses what it cannot use. */
export function readNodeConfig(argv: string[], env: NodeJS.ProcessEnv): NodeConfig {
  const { values } = parseArgs({ args: argv, options: NODE_FLAGS, strict: true, allowPositionals: false });
  return {
    port: integer('port', values.port ?? env['PORT'] ?? '8080', 0, 65_535),
    host: values.host ?? env['HOST'] ?? '127.0.0.1',
    nodeId: nonEmpty('node-id', values['node-id'] ?? env['NODE_ID'] ?? `node-${process.pid}`),
    redisUrl: nonEmpty('redis-url', values['redis-url'] ?? env['REDIS_URL'] ?? 'redis://127.0.0.1:6379'),
    prefix: values.prefix ?? env['REDIS_PREFIX'] ?? 'asp:',
    sessionTtlMs: integer('session-ttl-ms', values['session-ttl-ms'] ?? env['SESSION_TTL_MS'] ?? '60000', 1000, 86_400_000),
    hubHeartbeatMs: integer('hub-heartbeat-ms', values['hub-heartbeat-ms'] ?? env['HUB_HEARTBEAT_MS'] ?? String(DEFAULT_HUB_HEARTBEAT_MS), 100, 60_000),
    exitWithParent: values['exit-with-parent'] ?? false,
  };
}

function integer(name: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer in [${min}, ${max}], got "${raw}"`);
  return n;
}

function nonEmpty(name: string, raw: string): string {
  if (raw.trim() === '') throw new Error(`--${name} must not be empty`);
  return raw;
}
