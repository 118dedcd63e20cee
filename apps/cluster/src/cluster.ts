import { randomUUID } from 'node:crypto';
import type { Connector } from '@agentsocket/core';
import { wsConnector } from '@agentsocket/ws';
import { ASP_PATH } from './cluster-node.js';
import { type RunningNginx, startNginx } from './nginx.js';
import { Supervisor } from './supervisor.js';
import { waitFor } from './wait.js';

export const AFFINITY_COOKIE = 'asp_affinity';

export interface ClusterOptions {
  redisUrl: string;
  /** Redis key prefix. @default a fresh `asp-cluster:<uuid>:` so runs never see each other */
  prefix?: string;
  /** @default 3 */
  count?: number;
  /** Extra flags for every node. */
  nodeArgs?: string[];
  /** The node program (see SupervisorOptions.entry). @default this app's src/node.ts */
  nodeEntry?: string;
  /** nginx `max_fails` for each node (see NginxConfOptions.maxFails). @default 0 (never skip a node) */
  maxFails?: number;
  /** nginx `fail_timeout`, seconds, when `maxFails` is above 0. @default 2 */
  failTimeoutS?: number;
  log?: (nodeId: string, line: string) => void;
  /** How long each node may take to print its ready line (SupervisorOptions.readyTimeoutMs). @default 20000 */
  readyTimeoutMs?: number;
}

/** N node processes sharing Redis, behind one nginx. */
export interface Cluster {
  readonly supervisor: Supervisor;
  readonly nginx: RunningNginx;
  readonly prefix: string;
  /** `ws://127.0.0.1:<nginx>/asp` */
  readonly wsUrl: string;
  /** Which node nginx sends a request with this affinity cookie to (or a cookieless one). */
  nodeFor(affinity?: string): Promise<string>;
  /** An affinity cookie value that nginx currently sends to `nodeId`. */
  affinityFor(nodeId: string): Promise<string>;
  /** Resolves once nginx sends requests to `nodeId` again (at once after a restart, unless `maxFails` is set). */
  routed(nodeId: string, ms?: number): Promise<void>;
  /** A connector through nginx; with `node`, pinned there by the affinity cookie. */
  connector(options?: { node?: string }): Promise<Connector>;
  stop(): Promise<void>;
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const prefix = options.prefix ?? `asp-cluster:${randomUUID()}:`;
  const supervisor = new Supervisor({
    redisUrl: options.redisUrl,
    prefix,
    count: options.count ?? 3,
    ...(options.nodeArgs ? { args: options.nodeArgs } : {}),
    ...(options.nodeEntry ? { entry: options.nodeEntry } : {}),
    ...(options.log ? { log: options.log } : {}),
    ...(options.readyTimeoutMs ? { readyTimeoutMs: options.readyTimeoutMs } : {}),
  });
  let nginx: RunningNginx | undefined;
  try {
    await supervisor.start();
    nginx = await startNginx({
      upstreams: supervisor.ports,
      cookie: AFFINITY_COOKIE,
      ...(options.maxFails === undefined ? {} : { maxFails: options.maxFails }),
      failTimeoutS: options.failTimeoutS ?? 2,
    });
  } catch (error) {
    await supervisor.stop();
    throw error;
  }
  const proxy = nginx;
  const wsUrl = `ws://127.0.0.1:${proxy.port}${ASP_PATH}`;
  const nodeFor = async (affinity?: string) => {
    const headers: Record<string, string> = affinity === undefined ? {} : { cookie: `${AFFINITY_COOKIE}=${affinity}` };
    const res = await fetch(`${proxy.url}/healthz`, { headers });
    const body: unknown = await res.json();
    if (res.status !== 200 || typeof body !== 'object' || body === null || !('node' in body) || typeof body.node !== 'string') {
      throw new Error(`/healthz through nginx answered ${res.status}: ${JSON.stringify(body)}`);
    }
    return body.node;
  };
  // The ring is fixed by the upstream list, so a key found once leads to its node whenever it is up.
  const found = new Map<string, string>();
  const affinityFor = async (nodeId: string) => {
    const known = found.get(nodeId);
    if (known !== undefined && (await nodeFor(known)) === nodeId) return known;
    // Consistent hashing spreads keys evenly, so a handful of candidates finds every node.
    for (let i = 0; i < 200; i++) {
      const candidate = `${nodeId}-${i}`;
      if ((await nodeFor(candidate)) === nodeId) {
        found.set(nodeId, candidate);
        return candidate;
      }
    }
    throw new Error(`no affinity cookie leads to ${nodeId}; is it up?`);
  };
  return {
    supervisor,
    nginx: proxy,
    prefix,
    wsUrl,
    nodeFor,
    affinityFor,
    routed: async (nodeId, ms = 15_000) => {
      const key = await (found.get(nodeId) ?? affinityFor(nodeId));
      await waitFor(async () => (await nodeFor(key).catch(() => '')) === nodeId, `nginx to route to ${nodeId} again`, ms, 100);
    },
    connector: async (opts = {}) => {
      if (opts.node === undefined) return wsConnector({ url: wsUrl });
      const affinity = await affinityFor(opts.node);
      return wsConnector({ url: wsUrl, headers: { cookie: `${AFFINITY_COOKIE}=${affinity}` } });
    },
    stop: async () => {
      await proxy.stop();
      await supervisor.stop();
    },
  };
}
