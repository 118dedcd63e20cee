import type { Agent } from '@agentsocket/core';
import { startNode } from './cluster-node.js';
import { readNodeConfig } from './config.js';
import { openFileLimits } from './limits.js';
import { formatReady } from './ready.js';

/**
 * The body of a node process: reads flags and environment, serves, prints the ready line, drains
 * on SIGTERM. `agent` replaces the cluster agent (the fault-injection drill's nodes pass theirs).
 */
export async function runNodeProcess(agent?: (nodeId: string) => Agent): Promise<void> {
  let config: ReturnType<typeof readNodeConfig>;
  try {
    config = readNodeConfig(process.argv.slice(2), process.env);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(2);
  }
  const node = await startNode(config, agent?.(config.nodeId));
  const files = openFileLimits();
  // Node raises the soft limit to the hard one by itself; the hard limit is the container's.
  if (files) console.error(`[${node.nodeId}] open files: soft ${files.soft}, hard ${files.hard}`);
  console.log(formatReady({ node: node.nodeId, port: node.port, pid: process.pid }));

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.error(`[${node.nodeId}] ${signal}: draining`);
    // A drain that hangs must not keep the pod (or the test) waiting forever.
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    node.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`[${node.nodeId}] close failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  if (config.exitWithParent) {
    process.stdin.on('end', () => stop('parent gone'));
    process.stdin.resume();
  }
}
