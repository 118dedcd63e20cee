import { isRecord } from '@agentsocket/core/internal';
import { DEFAULTS } from './defaults.js';
import { RegistryError } from './errors.js';
import { type AgentRecord, type AgentStatus, STATUSES } from './record.js';

/** A query for agents of one namespace (docs/registry.md, "Queries"). */
export interface RegistryQuery {
  /** The namespace (team), e.g. `/team-alpha`. Required. */
  ns: string;
  /** Agents that serve this tool. */
  tool?: string;
  /** Agents that serve every one of these tools. */
  tools?: string[];
  /** Agents with this status. */
  status?: AgentStatus;
  /** Agents in this room. */
  room?: string;
  /** Agents whose load is at most this. */
  maxLoad?: number;
  /** Sort order. `load`: least loaded first (then fewest calls in flight, then agent id). @default 'load' */
  orderBy?: 'load' | 'agentId' | 'since';
  /** Most agents returned, 1 to 10000. @default 10000 */
  limit?: number;
}

const KEYS = new Set(['ns', 'tool', 'tools', 'status', 'room', 'maxLoad', 'orderBy', 'limit']);
const ORDERS = ['load', 'agentId', 'since'] as const;
/** The rule of core's namespace names (teams.ts). */
const NAMESPACE = /^\/[A-Za-z0-9_.\-/]{0,127}$/;
const NAME = /^[A-Za-z0-9_.\-/]{1,128}$/;

function invalid(message: string): RegistryError {
  return new RegistryError('INVALID_QUERY', `invalid registry query: ${message}`);
}

/** Checks a query from anywhere (a tool's arguments, a program) and returns it; RegistryError INVALID_QUERY otherwise. */
export function parseQuery(input: unknown): Required<Pick<RegistryQuery, 'ns' | 'orderBy' | 'limit'>> & RegistryQuery {
  if (!isRecord(input)) throw invalid('expected an object');
  for (const key of Object.keys(input)) if (!KEYS.has(key)) throw invalid(`unknown field "${key}"`);
  const { ns, tool, tools, status, room, maxLoad, orderBy, limit } = input;
  if (typeof ns !== 'string' || !NAMESPACE.test(ns)) throw invalid('"ns" must be a namespace name such as "/team-alpha"');
  const q: Required<Pick<RegistryQuery, 'ns' | 'orderBy' | 'limit'>> & RegistryQuery = { ns, orderBy: 'load', limit: DEFAULTS.maxLimit };
  if (tool !== undefined) {
    if (typeof tool !== 'string' || !NAME.test(tool)) throw invalid('"tool" must be a tool name (1-128 of [A-Za-z0-9_.-/])');
    q.tool = tool;
  }
  if (tools !== undefined) {
    if (!Array.isArray(tools) || tools.length === 0 || tools.length > 64) throw invalid('"tools" must be an array of 1-64 tool names');
    const names: string[] = [];
    for (const t of tools) {
      if (typeof t !== 'string' || !NAME.test(t)) throw invalid('"tools" must hold tool names (1-128 of [A-Za-z0-9_.-/])');
      names.push(t);
    }
    q.tools = names;
  }
  if (status !== undefined) {
    if (typeof status !== 'string' || !isStatus(status)) throw invalid(`"status" must be one of ${STATUSES.map((s) => `"${s}"`).join(', ')}`);
    q.status = status;
  }
  if (room !== undefined) {
    if (typeof room !== 'string' || room.length === 0 || room.length > 256) throw invalid('"room" must be a string of 1-256 characters');
    q.room = room;
  }
  if (maxLoad !== undefined) {
    if (typeof maxLoad !== 'number' || !Number.isFinite(maxLoad) || maxLoad < 0) throw invalid('"maxLoad" must be a finite number >= 0');
    q.maxLoad = maxLoad;
  }
  if (orderBy !== undefined) {
    const order = ORDERS.find((o) => o === orderBy);
    if (order === undefined) throw invalid(`"orderBy" must be one of ${ORDERS.map((o) => `"${o}"`).join(', ')}`);
    q.orderBy = order;
  }
  if (limit !== undefined) {
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > DEFAULTS.maxLimit) {
      throw invalid(`"limit" must be an integer from 1 to ${DEFAULTS.maxLimit}`);
    }
    q.limit = limit;
  }
  return q;
}

function isStatus(s: string): s is AgentStatus {
  return STATUSES.some((x) => x === s);
}

/** Filters and sorts the live agents of the query's namespace. */
export function applyQuery(agents: AgentRecord[], q: ReturnType<typeof parseQuery>): AgentRecord[] {
  const need = [...(q.tool === undefined ? [] : [q.tool]), ...(q.tools ?? [])];
  const found = agents.filter(
    (a) =>
      need.every((t) => a.tools.includes(t)) &&
      (q.status === undefined || a.status === q.status) &&
      (q.room === undefined || a.rooms.includes(q.room)) &&
      (q.maxLoad === undefined || a.load <= q.maxLoad),
  );
  found.sort(ORDER[q.orderBy]);
  return found.slice(0, q.limit);
}

const byId = (a: AgentRecord, b: AgentRecord) => (a.agentId < b.agentId ? -1 : a.agentId > b.agentId ? 1 : 0);

const ORDER: Record<(typeof ORDERS)[number], (a: AgentRecord, b: AgentRecord) => number> = {
  load: (a, b) => a.load - b.load || a.inFlight - b.inFlight || byId(a, b),
  agentId: byId,
  since: (a, b) => a.since - b.since || byId(a, b),
};
