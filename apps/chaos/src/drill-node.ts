import { runNodeProcess } from '@agentsocket/cluster/lib';
import { chaosAgent, printingSink } from './agent.js';

/** A cluster node serving the chaos agent; each handler's start and side effect is one JSON line on stdout. */
await runNodeProcess((nodeId) => chaosAgent(nodeId, printingSink(nodeId)));
