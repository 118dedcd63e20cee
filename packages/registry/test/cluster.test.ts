import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { AgentClient, type AnyToolDefinition, type Connector, tool } from '@agentsocket/core';
import { wsConnector } from '@agentsocket/ws';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentRegistry, type PresenceEvent } from '../src/index.js';
import { agentEvent, connection, EventLog, REDIS_URL, redisOrSkip, uniquePrefix } from './env.js';
import { startNode } from './fixtures/node.js';

const up = await redisOrSkip();
const HEARTBEAT_MS = 250;

/** A node in a child process, so it can die by SIGKILL. */
async function spawnNode(prefix: string, nodeId: string): Promise<{ child: ChildProcess; port: number; node: string }> {
  const file = fileURLToPath(new URL('./fixtures/node.ts', import.meta.url));
  const config = JSON.stringify({ url: REDIS_URL, prefix, heartbeatMs: HEARTBEAT_MS, nodeId });
  const child = spawn(process.execPath, ['--conditions=@agentsocket/source', '--import', 'tsx', file, config], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    let buffer = '';
    child.stdout?.on('data', (d: Buffer) => {
      buffer += d.toString();
      const nl = buffer.indexOf('\n');
      if (nl >= 0) resolve(buffer.slice(0, nl));
    });
    child.once('exit', (code) => reject(new Error(`node process exited (${code}) before it was ready`)));
  });
  const ready: unknown = JSON.parse(line);
  if (typeof ready !== 'object' || ready === null || !('port' in ready) || !('node' in ready)) throw new Error(`bad ready line ${line}`);
  return { child, port: Number(ready.port), node: String(ready.node) };
}

describe.runIf(up)('registry in a cluster of AgentServers', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c().catch(() => {});
  });

  function client(port: number, name: string, namespace: string, tools: Record<string, AnyToolDefinition> = {}) {
    const c = new AgentClient({ connect: wsConnector({ url: `ws://127.0.0.1:${port}/asp` }), name, namespace, tools, reconnect: false });
    cleanup.push(() => c.close());
    return c;
  }

  it('registers agents as they connect, with their tools; tracks calls; the agent reports its own status; leaves on close', async () => {
    const prefix = uniquePrefix();
    const node = await startNode({ url: REDIS_URL, prefix, heartbeatMs: HEARTBEAT_MS, nodeId: 'in-proc' });
    cleanup.push(() => node.close());
    const observer = new AgentRegistry({ connection: await connection(), prefix });
    cleanup.push(() => observer.close());
    const log = new EventLog();
    await observer.subscribe(log.push, { ns: '/team-alpha' });

    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const worker = client(node.port, 'summariser-1', '/team-alpha', {
      summarise: tool({ input: { type: 'object' }, handler: async () => {
        await gate;
        return 'short';
      } }),
    });
    await worker.connect();
    const joined = await log.wait(agentEvent('joined', 'summariser-1'));
    expect(joined).toMatchObject({ agent: { ns: '/team-alpha', node: node.node, tools: ['summarise'], status: 'idle' } });

    const orchestrator = client(node.port, 'boss', '/team-alpha');
    await orchestrator.connect();
    await log.wait(agentEvent('joined', 'boss'));
    const found = await orchestrator.invoke<Array<{ agentId: string }>>('registry.find', { ns: '/team-alpha', tool: 'summarise' }).result;
    expect(found.value.map((a) => a.agentId)).toEqual(['summariser-1']);
    await expect(orchestrator.invoke('registry.find', { ns: '/team-alpha', tool: 7 }).result).rejects.toMatchObject({ code: 422 });

    const call = orchestrator.invokeAgent('summariser-1', 'summarise', {});
    const busy = await log.wait((e: PresenceEvent) => e.type === 'status' && e.agent.agentId === 'summariser-1' && e.agent.status === 'busy');
    expect(busy).toMatchObject({ agent: { inFlight: 1 } });
    release();
    expect((await call.result).value).toBe('short');
    await log.wait((e: PresenceEvent) => e.type === 'status' && e.agent.agentId === 'summariser-1' && e.agent.status === 'idle' && e.agent.inFlight === 0);

    // Pattern 3: the agent reports its own status; the COMPLETE is the ack.
    await worker.invoke('registry.status', { status: 'busy', load: 0.75 }).result;
    expect(await observer.get('/team-alpha', 'summariser-1')).toMatchObject({ status: 'busy', load: 0.75, reported: true });
    await expect(worker.invoke('registry.status', { load: -3 }).result).rejects.toMatchObject({ code: 422 });

    // A tool announced after the handshake (TOOL_DEF) reaches the record at the node's next heartbeat.
    worker.addTool('translate', { input: { type: 'object' }, handler: () => 'übersetzt' });
    const grown = await log.wait((e: PresenceEvent) => e.type === 'status' && e.agent.agentId === 'summariser-1' && e.agent.tools.includes('translate'));
    expect(grown).toMatchObject({ agent: { tools: ['summarise', 'translate'] } });
    expect((await observer.find({ ns: '/team-alpha', tool: 'translate' })).map((a) => a.agentId)).toEqual(['summariser-1']);

    await worker.close();
    expect(await log.wait(agentEvent('left', 'summariser-1'))).toMatchObject({ reason: 'closed' });
    expect(await observer.get('/team-alpha', 'summariser-1')).toBeUndefined();
  });

  it('a session that moves to another node: left (moved) there, joined here, rooms as the hub has them', async () => {
    const prefix = uniquePrefix();
    const a = await startNode({ url: REDIS_URL, prefix, heartbeatMs: HEARTBEAT_MS, nodeId: 'from' });
    let aClosed = false;
    cleanup.push(() => (aClosed ? Promise.resolve() : a.close()));
    const b = await startNode({ url: REDIS_URL, prefix, heartbeatMs: HEARTBEAT_MS, nodeId: 'to' });
    cleanup.push(() => b.close());
    const log = new EventLog();
    await b.registry.subscribe(log.push, { ns: '/team-alpha' });
    let port = a.port;
    const connect: Connector = (signal) => wsConnector({ url: `ws://127.0.0.1:${port}/asp` })(signal);
    const mover = new AgentClient({ connect, name: 'mover', namespace: '/team-alpha', tools: { x: tool({ input: { type: 'object' }, handler: () => 1 }) }, reconnect: { initialMs: 50, maxMs: 200 } });
    cleanup.push(() => mover.close());
    await mover.connect();
    await mover.invoke('asp.join', { room: 'night-shift' }).result;
    await log.wait((e: PresenceEvent) => e.type === 'status' && e.agent.agentId === 'mover' && e.agent.rooms.includes('night-shift'));
    port = b.port;
    aClosed = true;
    await a.close();
    expect(await log.wait(agentEvent('left', 'mover'))).toMatchObject({ reason: 'moved', agent: { node: a.node } });
    expect(await log.wait((e: PresenceEvent) => e.type === 'joined' && e.agent.agentId === 'mover' && e.agent.node === b.node, 20_000)).toMatchObject({
      agent: { tools: ['x'] },
    });
    // The record's rooms are the hub's (a polite hand-over does not carry room memberships over).
    const hubRooms = (await mover.invoke<string[]>('asp.rooms', {}).result).value;
    expect((await b.registry.get('/team-alpha', 'mover'))?.rooms).toEqual(hubRooms);
    expect(await b.registry.find({ ns: '/team-alpha', tool: 'x' })).toMatchObject([{ agentId: 'mover', node: b.node }]);
  }, 60_000);

  it('registry.watch streams a snapshot, then presence events', async () => {
    const prefix = uniquePrefix();
    const node = await startNode({ url: REDIS_URL, prefix, heartbeatMs: HEARTBEAT_MS, nodeId: 'watch' });
    cleanup.push(() => node.close());
    const watcher = client(node.port, 'watcher', '/team-ops');
    await watcher.connect();
    const stop = new AbortController();
    const call = watcher.invoke('registry.watch', { types: ['joined', 'left'] }, { signal: stop.signal });
    const chunks = call[Symbol.asyncIterator]();
    const first = await chunks.next();
    expect(first.value).toMatchObject({ type: 'snapshot', agents: [{ agentId: 'watcher', ns: '/team-ops' }] });
    const late = client(node.port, 'late', '/team-ops');
    await late.connect();
    expect((await chunks.next()).value).toMatchObject({ type: 'joined', agent: { agentId: 'late' } });
    await late.close();
    expect((await chunks.next()).value).toMatchObject({ type: 'left', agent: { agentId: 'late' } });
    stop.abort();
    await call.result.catch(() => {});
  });

  it('a node process killed with SIGKILL: its agents are published failed within the heartbeat TTL', async () => {
    const prefix = uniquePrefix();
    const doomed = await spawnNode(prefix, 'doomed');
    cleanup.push(async () => doomed.child.kill('SIGKILL'));
    const survivor = await startNode({ url: REDIS_URL, prefix, heartbeatMs: HEARTBEAT_MS, nodeId: 'survivor' });
    cleanup.push(() => survivor.close());
    const log = new EventLog();
    await survivor.registry.subscribe(log.push);
    const victim = client(doomed.port, 'victim', '/team-alpha', { summarise: tool({ input: { type: 'object' }, handler: () => 'x' }) });
    await victim.connect();
    expect(await log.wait(agentEvent('joined', 'victim'))).toMatchObject({ agent: { node: doomed.node } });

    const killedAt = Date.now();
    doomed.child.kill('SIGKILL');
    const failed = await log.wait(agentEvent('failed', 'victim'), 10_000, 'failed event');
    const after = Date.now() - killedAt;
    // Dead after 3 missed beats (750 ms), swept at the survivor's next beat; the rest is slack for a
    // loaded machine. The session TTL (60 s) is far beyond: this is the heartbeat's doing.
    expect(after).toBeLessThan(3 * HEARTBEAT_MS + HEARTBEAT_MS + 4_000);
    expect(failed).toMatchObject({ agent: { ns: '/team-alpha', node: doomed.node, tools: ['summarise'] } });
    expect(failed.type === 'failed' && failed.agent.lastSeen).toBeLessThanOrEqual(killedAt + 50);
    expect(await survivor.registry.find({ ns: '/team-alpha', tool: 'summarise' })).toEqual([]);
  }, 90_000); // starting a node process (tsx) takes long on a loaded machine; the timing checked is the kill → failed
});
