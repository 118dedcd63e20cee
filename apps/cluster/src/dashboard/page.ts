/// <reference lib="dom" />
// The dashboard page's script, bundled for the browser (serve.ts): the project's own browser
// client (AgentClient + the ws transport's browser build) watches the registry and the queues.
import { AgentClient } from '@agentsocket/core';
import { wsConnector } from '@agentsocket/ws';

interface Agent {
  ns: string;
  agentId: string;
  node: string;
  tools: string[];
  rooms: string[];
  status: string;
  load: number;
  inFlight: number;
  lastSeen: number;
}
interface Stats {
  calls: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  windowMs: number;
  agents: number;
}
interface NodeRow {
  node: string;
  lastSeen: number;
  alive: boolean;
  stats?: Stats | undefined;
}
interface Queue {
  tool: string;
  waiting: number;
  inFlight: number;
  added: number;
  done: number;
}
interface QueueReport {
  queues: Queue[];
  deadLetters: number;
  delayed: number;
  at: number;
}

const MAX_ROWS = 500;
const agents = new Map<string, Agent>();
const nodes = new Map<string, NodeRow>();
const failures: string[] = [];
let queues: QueueReport | undefined;
let previousQueues: QueueReport | undefined;
let scheduled = false;

const $ = (id: string): HTMLElement => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing`);
  return el;
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function asAgent(v: unknown): Agent | undefined {
  if (!isObject(v) || typeof v['ns'] !== 'string' || typeof v['agentId'] !== 'string') return undefined;
  const list = (x: unknown) => (Array.isArray(x) ? x.map(String) : []);
  return {
    ns: v['ns'],
    agentId: v['agentId'],
    node: String(v['node'] ?? ''),
    tools: list(v['tools']),
    rooms: list(v['rooms']),
    status: String(v['status'] ?? ''),
    load: Number(v['load'] ?? 0),
    inFlight: Number(v['inFlight'] ?? 0),
    lastSeen: Number(v['lastSeen'] ?? 0),
  };
}

function asStats(v: unknown): Stats | undefined {
  if (!isObject(v)) return undefined;
  const n = (k: string) => Number(v[k] ?? 0);
  return { calls: n('calls'), errors: n('errors'), p50Ms: n('p50Ms'), p99Ms: n('p99Ms'), windowMs: n('windowMs'), agents: n('agents') };
}

const key = (a: { ns: string; agentId: string }) => `${a.ns}\n${a.agentId}`;

/** One registry.watch chunk: the snapshot, then presence events. */
function onRegistry(chunk: unknown): void {
  if (!isObject(chunk)) return;
  switch (chunk['type']) {
    case 'snapshot': {
      agents.clear();
      nodes.clear();
      for (const a of Array.isArray(chunk['agents']) ? chunk['agents'] : []) {
        const agent = asAgent(a);
        if (agent) agents.set(key(agent), agent);
      }
      for (const n of Array.isArray(chunk['nodes']) ? chunk['nodes'] : []) {
        if (isObject(n) && typeof n['node'] === 'string') {
          nodes.set(n['node'], { node: n['node'], lastSeen: Number(n['lastSeen']), alive: n['alive'] === true, stats: asStats(n['stats']) });
        }
      }
      document.body.dataset['state'] = 'live';
      break;
    }
    case 'joined':
    case 'status': {
      const agent = asAgent(chunk['agent']);
      if (agent) agents.set(key(agent), agent);
      break;
    }
    case 'left':
    case 'failed': {
      const agent = asAgent(chunk['agent']);
      if (!agent) break;
      agents.delete(key(agent));
      if (chunk['type'] === 'failed') failures.unshift(`${new Date(Number(chunk['at'])).toLocaleTimeString()} ${agent.ns} ${agent.agentId} (node ${agent.node})`);
      failures.splice(10);
      break;
    }
    case 'node': {
      const name = String(chunk['node']);
      nodes.set(name, { node: name, lastSeen: Number(chunk['at']), alive: true, stats: asStats(chunk['stats']) });
      break;
    }
    case 'resync':
      // Events were lost: start over with a new snapshot.
      void restart();
      return;
  }
  schedule();
}

function onQueues(chunk: unknown): void {
  if (!isObject(chunk) || !Array.isArray(chunk['queues'])) return;
  previousQueues = queues;
  queues = {
    queues: chunk['queues'].filter(isObject).map((q) => ({
      tool: String(q['tool']),
      waiting: Number(q['waiting']),
      inFlight: Number(q['inFlight']),
      added: Number(q['added']),
      done: Number(q['done']),
    })),
    deadLetters: Number(chunk['deadLetters']),
    delayed: Number(chunk['delayed']),
    at: Number(chunk['at']),
  };
  schedule();
}

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(() => {
    scheduled = false;
    render();
  });
}

function cell(text: string | number, cls?: string): HTMLTableCellElement {
  const td = document.createElement('td');
  td.textContent = String(text);
  if (cls) td.className = cls;
  return td;
}

function fill(tbody: HTMLElement, rows: HTMLTableRowElement[]): void {
  tbody.replaceChildren(...rows);
}

function row(cells: HTMLTableCellElement[], data?: Record<string, string>): HTMLTableRowElement {
  const tr = document.createElement('tr');
  tr.append(...cells);
  for (const [k, v] of Object.entries(data ?? {})) tr.dataset[k] = v;
  return tr;
}

function ago(ms: number): string {
  const s = Math.max(0, (Date.now() - ms) / 1000);
  return s < 1 ? 'now' : `${s.toFixed(0)} s ago`;
}

function render(): void {
  const list = [...agents.values()].sort((a, b) => (a.ns === b.ns ? (a.agentId < b.agentId ? -1 : 1) : a.ns < b.ns ? -1 : 1));
  const live = [...nodes.values()].filter((n) => n.alive && Date.now() - n.lastSeen < 10_000);
  let calls = 0;
  let windowCalls = 0;
  let p50 = 0;
  let p99 = 0;
  for (const n of live) {
    if (!n.stats || n.stats.windowMs <= 0) continue;
    calls += (n.stats.calls / n.stats.windowMs) * 1000;
    windowCalls += n.stats.calls;
    p50 += n.stats.p50Ms * n.stats.calls;
    p99 = Math.max(p99, n.stats.p99Ms);
  }
  const busy = list.filter((a) => a.status === 'busy').length;
  $('k-agents').textContent = String(list.length);
  $('k-busy').textContent = `${busy} busy · ${list.length - busy} idle`;
  $('k-nodes').textContent = String(live.length);
  $('k-calls').textContent = calls.toFixed(1);
  $('k-latency').textContent = windowCalls > 0 ? `p50 ${(p50 / windowCalls).toFixed(1)} ms · p99 ${p99.toFixed(1)} ms` : 'no calls';
  const q = queues;
  const waiting = q ? q.queues.reduce((s, x) => s + x.waiting, 0) : 0;
  const leased = q ? q.queues.reduce((s, x) => s + x.inFlight, 0) : 0;
  $('k-queue').textContent = String(waiting);
  $('k-queue-sub').textContent = q ? `${leased} in flight · ${q.deadLetters} dead` : '';
  $('k-tasks').textContent = taskRate().toFixed(1);

  fill(
    $('nodes'),
    [...nodes.values()]
      .sort((a, b) => (a.node < b.node ? -1 : 1))
      .map((n) => {
        const s = n.stats;
        const rate = s && s.windowMs > 0 ? ((s.calls / s.windowMs) * 1000).toFixed(1) : '0.0';
        return row(
          [cell(n.node), cell(n.alive ? 'alive' : 'dead', n.alive ? 'ok' : 'bad'), cell(s?.agents ?? 0), cell(rate), cell(s?.p50Ms ?? 0), cell(s?.p99Ms ?? 0), cell(s?.errors ?? 0), cell(ago(n.lastSeen))],
          { node: n.node },
        );
      }),
  );

  const teams = new Map<string, { agents: number; busy: number; rooms: Map<string, string[]> }>();
  for (const a of list) {
    let t = teams.get(a.ns);
    if (!t) {
      t = { agents: 0, busy: 0, rooms: new Map() };
      teams.set(a.ns, t);
    }
    t.agents++;
    if (a.status === 'busy') t.busy++;
    for (const r of a.rooms) t.rooms.set(r, [...(t.rooms.get(r) ?? []), a.agentId]);
  }
  fill(
    $('teams'),
    [...teams.entries()].map(([ns, t]) =>
      row(
        [
          cell(ns),
          cell(t.agents),
          cell(t.busy),
          cell(
            [...t.rooms.entries()]
              .sort()
              .map(([r, m]) => `${r} (${m.length})`)
              .join(', ') || '—',
          ),
        ],
        { team: ns },
      ),
    ),
  );

  fill(
    $('agents'),
    list.slice(0, MAX_ROWS).map((a) =>
      row(
        [
          cell(a.ns),
          cell(a.agentId),
          cell(a.node),
          cell(a.tools.join(', ') || '—'),
          cell(a.status, a.status === 'busy' ? 'busy' : 'idle'),
          cell(Number.isInteger(a.load) ? a.load : a.load.toFixed(2)),
          cell(a.inFlight),
          cell(a.rooms.join(', ') || '—'),
        ],
        { agent: `${a.ns}/${a.agentId}` },
      ),
    ),
  );
  $('agents-more').textContent = list.length > MAX_ROWS ? `and ${list.length - MAX_ROWS} more` : '';

  fill(
    $('queues'),
    (q?.queues ?? []).map((x) => row([cell(x.tool), cell(x.waiting), cell(x.inFlight), cell(x.done), cell(x.added)], { queue: x.tool })),
  );
  $('queues-extra').textContent = q ? `dead letters: ${q.deadLetters} · retries waiting: ${q.delayed}` : 'waiting for figures…';
  $('failures').textContent = failures.length > 0 ? failures.join('\n') : 'none';
}

/** Tasks finished per second between the last two queue reports. */
function taskRate(): number {
  const a = previousQueues;
  const b = queues;
  if (!a || !b || b.at <= a.at) return 0;
  const done = (r: QueueReport) => r.queues.reduce((s, x) => s + x.done, 0);
  return Math.max(0, ((done(b) - done(a)) / (b.at - a.at)) * 1000);
}

let client: AgentClient | undefined;
let generation = 0;

async function restart(): Promise<void> {
  const mine = ++generation;
  const old = client;
  client = undefined;
  await old?.close().catch(() => {});
  document.body.dataset['state'] = 'connecting';
  $('conn').textContent = 'connecting…';
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/asp`;
  const c = new AgentClient({
    connect: wsConnector({ url }),
    namespace: '/orchestrator',
    name: `dashboard-${Math.random().toString(36).slice(2, 8)}`,
    reconnect: false,
  });
  try {
    await c.connect();
    if (mine !== generation) return void c.close();
    client = c;
    const who = await c.invoke<{ node: string }>('whoami', {}).result;
    $('conn').textContent = `live · node ${who.value.node}`;
    c.on('disconnect', () => {
      if (mine === generation) setTimeout(() => void restart(), 1000);
    });
    const watch = c.invoke('registry.watch', {});
    const queueFeed = c.invoke('dashboard.queues', { intervalMs: 1000 });
    await Promise.all([
      (async () => {
        for await (const chunk of watch) onRegistry(chunk);
      })(),
      (async () => {
        for await (const chunk of queueFeed) onQueues(chunk);
      })(),
    ]);
  } catch (error) {
    if (mine !== generation) return;
    $('conn').textContent = `disconnected (${error instanceof Error ? error.message : String(error)}), retrying…`;
    setTimeout(() => void restart(), 1000);
  }
}

setInterval(schedule, 1000);
void restart();
