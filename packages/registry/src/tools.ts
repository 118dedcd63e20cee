import { ErrorCode, ProtocolError, type ToolContext, type ToolSet, tool } from '@agentsocket/core';
import { RegistryError } from './errors.js';
import type { PresenceEvent, PresenceEventType } from './events.js';
import type { NodeInfo } from './node-stats.js';
import type { AgentRecord } from './record.js';
import type { RegistryHub } from './registry-hub.js';

/** The first chunk of `registry.watch`: what the registry holds when the watch starts. */
export interface RegistrySnapshot {
  type: 'snapshot';
  agents: AgentRecord[];
  nodes: NodeInfo[];
  at: number;
}

const EVENT_TYPES: readonly PresenceEventType[] = ['joined', 'left', 'failed', 'status', 'node', 'resync'];

/**
 * The registry as tools a node's agent serves (docs/registry.md, "Tools"), so any connected agent
 * can report its own status (the seed's Pattern 3: the call's COMPLETE is the ack), query the
 * registry, and watch presence events as a stream. Add them with `Object.assign` into the tools
 * given to `defineAgent`, or one by one with `agent.addTool`.
 */
export function registryTools(hub: RegistryHub): ToolSet {
  const registry = hub.registry;
  return {
    'registry.status': tool({
      description: "Reports the caller's own status and/or load (the node stops deriving them from calls in flight)",
      input: {
        type: 'object',
        properties: { status: { type: 'string', enum: ['idle', 'busy'] }, load: { type: 'number', minimum: 0 } },
        additionalProperties: false,
      },
      async handler(args, ctx) {
        const me = caller(hub, ctx);
        const status = args['status'] === 'idle' || args['status'] === 'busy' ? args['status'] : undefined;
        const load = typeof args['load'] === 'number' ? args['load'] : undefined;
        if (status === undefined && load === undefined) throw new RegistryError('INVALID_STATUS', 'give "status", "load" or both');
        await registry.update(me.ns, me.agentId, { ...(status ? { status } : {}), ...(load !== undefined ? { load } : {}) });
        return registry.localRecord(me.ns, me.agentId);
      },
    }),
    'registry.find': tool({
      description: 'Agents of one namespace matching a query (tool, tools, status, room, maxLoad, orderBy, limit), least loaded first',
      input: { type: 'object' },
      handler: (args) => registry.query(args),
    }),
    'registry.watch': tool({
      description: 'Streams a snapshot of agents and nodes, then every presence and status event, until interrupted',
      input: {
        type: 'object',
        properties: { ns: { type: 'string' }, types: { type: 'array', items: { type: 'string', enum: [...EVENT_TYPES] } } },
        additionalProperties: false,
      },
      async *handler(args, ctx): AsyncGenerator<RegistrySnapshot | PresenceEvent, void> {
        const ns = typeof args['ns'] === 'string' ? args['ns'] : undefined;
        const wanted = args['types'];
        const types = Array.isArray(wanted) ? EVENT_TYPES.filter((t) => wanted.includes(t)) : undefined;
        const queue: PresenceEvent[] = [];
        let wake: (() => void) | undefined;
        const unsubscribe = await registry.subscribe(
          (e) => {
            queue.push(e);
            wake?.();
          },
          { ...(ns !== undefined ? { ns } : {}), ...(types ? { types } : {}) },
        );
        const onAbort = () => wake?.();
        ctx.signal.addEventListener('abort', onAbort);
        try {
          // Subscribed before the snapshot is read, so nothing falls between the two.
          const [agents, nodes] = await Promise.all([registry.list(ns), registry.nodes()]);
          yield { type: 'snapshot', agents, nodes, at: Date.now() };
          while (!ctx.signal.aborted) {
            const next = queue.shift();
            if (next) {
              yield next;
              continue;
            }
            await new Promise<void>((resolve) => {
              wake = resolve;
            });
            wake = undefined;
          }
        } finally {
          ctx.signal.removeEventListener('abort', onAbort);
          unsubscribe();
        }
      },
    }),
  };
}

function caller(hub: RegistryHub, ctx: ToolContext): { ns: string; agentId: string } {
  const me = hub.member(ctx.sessionId);
  if (!me) throw new ProtocolError(ErrorCode.AGENT_NOT_FOUND, 'registry.status is for agents connected to this node');
  return me;
}
