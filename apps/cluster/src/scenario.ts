import { AgentClient, type AgentClientOptions, type TeamMessage } from '@agentsocket/core';
import type { Cluster } from './cluster.js';
import { waitFor } from './wait.js';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface ScenarioOptions {
  /** Where the narration goes. @default process.stdout */
  out?: { write(s: string): unknown };
  /** Chunks in the failover stream. @default 300 */
  streamLength?: number;
}

const TEAM = '/team-alpha';

/**
 * A team of agents on a running cluster: an orchestrator and three workers, one per node. Shows a
 * room broadcast, 1-1 task assignment with replies, and a node killed mid-stream; checks each.
 */
export async function runScenario(cluster: Cluster, options: ScenarioOptions = {}): Promise<Check[]> {
  const out = options.out ?? process.stdout;
  const n = options.streamLength ?? 300;
  const checks: Check[] = [];
  const check = (name: string, ok: boolean, detail: string) => {
    checks.push({ name, ok, detail });
    out.write(`  ${ok ? '✔' : '✘'} ${name} — ${detail}\n`);
  };
  const clients: AgentClient[] = [];
  const join = async (name: string, node: string, extra: Partial<AgentClientOptions> = {}) => {
    const client = new AgentClient({ connect: await cluster.connector({ node }), name, namespace: TEAM, reconnect: { initialMs: 20, maxMs: 250 }, ...extra });
    clients.push(client);
    await client.connect();
    return client;
  };
  const inbox = (client: AgentClient) => {
    const got: TeamMessage[] = [];
    client.on('message', (m) => got.push(m));
    return got;
  };
  const whoami = async (client: AgentClient) => {
    const { value } = await client.invoke('whoami').result;
    return typeof value === 'object' && value !== null && 'node' in value ? String(value.node) : '?';
  };

  try {
    out.write(`\n== a team of agents joins ${TEAM} through nginx (${cluster.wsUrl}) ==\n`);
    const lead = await join('lead', 'node-1');
    const workers: AgentClient[] = [];
    for (const [i, node] of ['node-1', 'node-2', 'node-3'].entries()) {
      const squares = {
        async *handler(args: Record<string, unknown>) {
          for (let k = 0; k < Number(args['n']); k++) {
            await new Promise((resolve) => setTimeout(resolve, 3));
            yield k * k;
          }
          return { done: Number(args['n']) };
        },
      };
      workers.push(await join(`worker-${i + 1}`, node, { tools: { squares } }));
    }
    const placement = await Promise.all([lead, ...workers].map(async (c) => `${c.team?.agentId}@${await whoami(c)}`));
    out.write(`  ${placement.join('  ')}\n`);
    const nodes = new Set(await Promise.all(workers.map(whoami)));
    check('agents spread over the nodes', nodes.size === 3, `workers on ${[...nodes].sort().join(', ')}`);

    out.write('\n== room broadcast: lead → compute-workers ==\n');
    const inboxes = workers.map(inbox);
    const leadInbox = inbox(lead);
    for (const w of workers) await w.join('compute-workers');
    const reached = await lead.broadcast('work-available', { queue: 'batch-42' }, { room: 'compute-workers' });
    await waitFor(() => inboxes.every((b) => b.length === 1), 'the broadcast on every node', 10_000).catch(() => {});
    check('broadcast reaches workers on all 3 nodes', reached === 3 && inboxes.every((b) => b[0]?.event === 'work-available'), `delivered to ${reached}`);

    out.write('\n== 1-1 task assignment: lead → each worker, replies → lead ==\n');
    for (const [i, w] of workers.entries()) {
      w.on('message', (m) => {
        if (m.event === 'assign-task') void w.send('lead', 'task-done', { task: m.data, by: w.team?.agentId }).catch(() => {});
      });
      await lead.send(`worker-${i + 1}`, 'assign-task', `task-${i + 1}`);
    }
    await waitFor(() => leadInbox.length === 3, 'three task-done replies', 10_000).catch(() => {});
    const assigned = inboxes.map((b) => b.filter((m) => m.event === 'assign-task').map((m) => String(m.data)));
    const done = leadInbox.map((m) => JSON.stringify(m.data)).sort();
    out.write(`  replies: ${done.join(' ')}\n`);
    check('each worker got exactly its own task', JSON.stringify(assigned) === JSON.stringify([['task-1'], ['task-2'], ['task-3']]), JSON.stringify(assigned));
    check('every task reported done to lead', leadInbox.length === 3, `${leadInbox.length} replies`);

    out.write(`\n== failover: lead streams from node-1 and from worker-2, then node-1 is SIGKILLed ==\n`);
    const before = lead.sessionId;
    let resumed = false;
    lead.on('connect', (info) => {
      resumed = info.resumed;
    });
    const fromNode = lead.invoke('count', { n, delayMs: 3 });
    const fromAgent = lead.invokeAgent('worker-2', 'squares', { n });
    const got: [number[], number[]] = [[], []];
    let killed: Promise<void> | undefined;
    const read = async (call: AsyncIterable<unknown>, into: number[]) => {
      for await (const chunk of call) {
        into.push(Number(chunk));
        if (!killed && got[0].length >= 60 && got[1].length >= 60) {
          out.write(`  kill -9 node-1 after ${got[0].length} + ${got[1].length} chunks\n`);
          killed = cluster.supervisor.kill('node-1');
        }
      }
    };
    await Promise.all([read(fromNode, got[0]), read(fromAgent, got[1])]);
    await killed;
    const finishedOn = await fromNode.result.then((r) => JSON.stringify(r.value), (e: unknown) => String(e));
    const now = await whoami(lead);
    out.write(`  lead resumed on ${now}; node stream result ${finishedOn}\n`);
    const after = await Promise.all([lead, ...workers].map(async (c) => `${c.team?.agentId}@${await whoami(c)}`));
    out.write(`  after the failover: ${after.join('  ')}\n`);
    check('node-1 was killed mid-stream', killed !== undefined, `pid gone, ${cluster.supervisor.nodes.filter((x) => x.running).length} nodes left`);
    check('session resumed on another node', resumed && lead.sessionId === before && now !== 'node-1', `session ${before} on ${now}`);
    check('node stream: nothing lost, nothing duplicated', sameAs(got[0], (i) => i, n), `${got[0].length}/${n} chunks in order`);
    check('agent stream: nothing lost, nothing duplicated', sameAs(got[1], (i) => i * i, n), `${got[1].length}/${n} chunks in order`);
    const again = await lead.broadcast('work-available', { queue: 'batch-43' }, { room: 'compute-workers' });
    const twice = () => inboxes.every((b) => b.filter((m) => m.event === 'work-available').length === 2);
    await waitFor(twice, 'the broadcast after the failover', 10_000).catch(() => {});
    check('the team still works after the failover', again === 3 && twice(), `broadcast delivered to ${again}, rooms kept`);
  } catch (error) {
    check('scenario ran to the end', false, error instanceof Error ? error.message : String(error));
  } finally {
    await Promise.allSettled(clients.map((c) => c.close()));
  }
  return checks;
}

function sameAs(seen: number[], f: (i: number) => number, n: number): boolean {
  return seen.length === n && seen.every((v, i) => v === f(i));
}
