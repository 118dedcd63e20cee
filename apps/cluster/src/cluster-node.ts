import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type Agent, AgentServer, type NamespaceRule } from '@agentsocket/core';
import { type AgentRegistry, registryTools } from '@agentsocket/registry';
import { type WsServer, wsServer } from '@agentsocket/ws';
import { createClusterAgent } from './agent.js';
import { type Backplane, openBackplane } from './backplane.js';
import type { NodeConfig } from './config.js';
import { dashboardHandler } from './dashboard/serve.js';
import { dashboardTools } from './dashboard/tools.js';
import { METRICS_PATH, nodeMetrics } from './metrics.js';

/** Teams this cluster serves: one namespace per team, and the orchestrator's own. */
export const NAMESPACES: NamespaceRule[] = [{ match: /^\/team-[a-z0-9-]{1,64}$/ }, { match: '/orchestrator' }];

/** The WebSocket path; nginx and the k8s Ingress pass it through unchanged. */
export const ASP_PATH = '/asp';

export interface RunningNode {
  readonly nodeId: string;
  readonly port: number;
  readonly agentServer: AgentServer;
  /** The cluster's agent registry, as this node writes and reads it. */
  readonly registry: AgentRegistry;
  /** Drains (GOAWAY to every client so it reconnects elsewhere), then releases Redis. */
  close(): Promise<void>;
}

/**
 * One cluster node: an AgentServer whose hub, session store, dedup and agent registry live in
 * Redis, served over ws on `/asp`, plus `/healthz` and `/readyz` for load balancers and k8s
 * probes, the live dashboard on `/dashboard` and Prometheus metrics on `/metrics`. It serves the cluster agent with the registry
 * and dashboard tools unless given another agent (the fault-injection drill serves its own).
 */
export async function startNode(config: NodeConfig, given?: Agent): Promise<RunningNode> {
  const log = (error: Error) => console.error(`[${config.nodeId}] ${error.message}`);
  const backplane: Backplane = await openBackplane({
    redisUrl: config.redisUrl,
    prefix: config.prefix,
    nodeId: config.nodeId,
    sessionTtlMs: config.sessionTtlMs,
    heartbeatMs: config.hubHeartbeatMs,
    onError: log,
  });
  const metrics = nodeMetrics(backplane.connection, `${config.prefix}tasks:`);
  const agent =
    given ??
    createClusterAgent(
      config.nodeId,
      {
        ...registryTools(backplane.hub),
        ...dashboardTools(backplane.connection, `${config.prefix}tasks:`),
      },
      (tools) => metrics.telemetry.tools(tools),
    );
  const agentServer = new AgentServer(agent, {
    nodeId: config.nodeId,
    teams: { namespaces: NAMESPACES, hub: backplane.hub },
    sessions: backplane.sessions,
    dedup: backplane.dedup,
    sessionTtlMs: config.sessionTtlMs,
    instrumentation: metrics.telemetry.server,
  });
  metrics.telemetry.observeServer(agentServer);
  agentServer.on('error', log);
  let draining = false;
  const dashboard = dashboardHandler(config.nodeId);
  const http = createServer((req, res) => {
    if (!dashboard(req, res) && !metrics.handle(req, res)) health(req, res, config.nodeId, draining);
  });
  let ws: WsServer;
  try {
    ws = await wsServer({ agentServer, server: http, path: ASP_PATH });
    await listen(http, config.port, config.host);
  } catch (error) {
    await metrics.close();
    await backplane.close();
    throw error;
  }
  ws.on('error', log);
  const address = http.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  let closing: Promise<void> | undefined;
  return {
    nodeId: config.nodeId,
    port,
    agentServer,
    registry: backplane.registry,
    close: () => {
      closing ??= (async () => {
        draining = true;
        await ws.close();
        await new Promise<void>((resolve) => {
          http.close(() => resolve());
          http.closeAllConnections();
        });
        await metrics.close();
        await backplane.close();
      })();
      return closing;
    },
  };
}

/** Liveness answers while the process runs; readiness turns 503 once the node drains. */
function health(req: IncomingMessage, res: ServerResponse, nodeId: string, draining: boolean): void {
  const path = (req.url ?? '/').split('?')[0];
  if (path === '/healthz' || (path === '/readyz' && !draining)) {
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify({ node: nodeId, status: 'ok' }));
  } else if (path === '/readyz') {
    res.writeHead(503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ node: nodeId, status: 'draining' }));
  } else if (path === ASP_PATH) {
    // A draining node has let go of upgrades, which then arrive here: 503 makes nginx try the next node.
    res.writeHead(draining ? 503 : 426, { 'content-type': 'text/plain', ...(draining ? {} : { upgrade: 'websocket' }) });
    res.end(draining ? `node ${nodeId} is draining\n` : `WebSocket endpoint of node ${nodeId}\n`);
  } else {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end(`Agent Socket node ${nodeId}: WebSocket endpoint at ${ASP_PATH}, dashboard at /dashboard, metrics at ${METRICS_PATH}\n`);
  }
}

function listen(http: ReturnType<typeof createServer>, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    http.once('error', reject);
    http.listen({ port, host }, () => {
      http.off('error', reject);
      resolve();
    });
  });
}
