import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { AgentClient, defineAgent, tool } from '@agentsocket/core';
import { RedisConnection } from '@agentsocket/redis';
import { RedisStreamsQueue, TaskClient, TaskStore, TaskWorker } from '@agentsocket/tasks';
import { wsConnector } from '@agentsocket/ws';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningNode, startNode } from '../src/cluster-node.js';
import { readNodeConfig } from '../src/config.js';
import { pingRedis } from '../src/redis-probe.js';
import { REDIS_URL } from './fixture.js';

const CHROMIUM = '/usr/bin/chromium';
const onCi = process.env['CI'] === 'true';
const ready = existsSync(CHROMIUM) && (await pingRedis(REDIS_URL));
if (!ready && !onCi) console.warn(`\n!!! SKIPPING the dashboard test: needs ${CHROMIUM} and a Redis at ${REDIS_URL}. CI runs it. !!!\n`);
/** Set to a path (e.g. docs/dashboard.png) to save a screenshot of the page with the test's agents and tasks. */
const SCREENSHOT = process.env['DASHBOARD_SCREENSHOT'];

describe.runIf(ready || onCi)('the dashboard in headless Chromium', () => {
  const prefix = `test:dash:${randomBytes(5).toString('hex')}:`;
  const nodes: RunningNode[] = [];
  const clients: AgentClient[] = [];
  let browser: Browser | undefined;
  let page: Page;
  let connection: RedisConnection;

  function config(nodeId: string) {
    return readNodeConfig(['--port', '0', '--node-id', nodeId, '--redis-url', REDIS_URL, '--prefix', prefix, '--hub-heartbeat-ms', '250'], {});
  }

  async function agent(node: RunningNode, name: string, namespace: string, tools: Parameters<typeof defineAgent>[0]['tools'] = {}) {
    const c = new AgentClient({ connect: wsConnector({ url: `ws://127.0.0.1:${node.port}/asp` }), name, namespace, tools, reconnect: false });
    clients.push(c);
    await c.connect();
    return c;
  }

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing and CI=true: install it with apt-get install -y chromium`);
    nodes.push(await startNode(config('dash-1')), await startNode(config('dash-2')));
    connection = new RedisConnection({ url: REDIS_URL });
    await connection.whenReady(10_000);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await browser?.close();
    await Promise.allSettled(nodes.map((n) => n.close()));
    await connection?.close();
  });

  it('is served by a node and shows agents, teams, queues and nodes, updated live', async () => {
    const [one, two] = nodes;
    if (!one || !two) throw new Error('nodes did not start');
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    await page.goto(`http://127.0.0.1:${one.port}/dashboard`);
    await page.waitForSelector('body[data-state="live"]', { timeout: 20_000 });
    await expect.poll(() => page.textContent('#conn'), { timeout: 20_000 }).toContain('live · node dash-1');
    // Both nodes' heartbeats arrive.
    await page.waitForSelector('#nodes tr[data-node^="dash-2."]', { timeout: 20_000 });

    // An agent connects to the other node: the page (on dash-1) shows it, with its tools.
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    await agent(two, 'newcomer', '/team-alpha', {
      summarise: tool({
        input: { type: 'object' },
        handler: async () => {
          await gate;
          return 'ok';
        },
      }),
    });
    const row = page.locator('#agents tr[data-agent="/team-alpha/newcomer"]');
    await row.waitFor({ timeout: 20_000 });
    expect(await row.textContent()).toContain('summarise');
    expect(await row.textContent()).toContain('idle');
    await page.waitForSelector('#teams tr[data-team="/team-alpha"]');

    // A call in flight turns it busy; it joins a room.
    const boss = await agent(one, 'boss', '/team-alpha');
    await boss.invoke('asp.join', { room: 'reviewers' }).result;
    const call = boss.invokeAgent('newcomer', 'summarise', {});
    await expect.poll(() => row.textContent(), { timeout: 20_000 }).toContain('busy');
    await expect.poll(() => page.textContent('#teams tr[data-team="/team-alpha"]'), { timeout: 20_000 }).toContain('reviewers (1)');

    // Tasks waiting in the queue (no worker for them yet).
    const tasksPrefix = `${prefix}tasks:`;
    const store = new TaskStore({ connection, prefix: tasksPrefix });
    const queue = new RedisStreamsQueue({ connection, prefix: tasksPrefix });
    const workerAgent = defineAgent({ name: 'translator', tools: { translate: tool({ input: { type: 'object' }, handler: () => 'done' }) } });
    await store.registerCapabilities(workerAgent.tools);
    const tasks = new TaskClient({ store, queue });
    for (let i = 0; i < 5; i++) await tasks.submit({ tool: 'translate', args: { i } });
    const queueRow = page.locator('#queues tr[data-queue="translate"]');
    const cells = () => queueRow.locator('td').allTextContents();
    // tool, waiting, in flight, finished, submitted
    await expect.poll(cells, { timeout: 20_000 }).toEqual(['translate', '5', '0', '0', '5']);
    await expect.poll(() => page.textContent('#k-queue')).toBe('5');

    // Calls routed to agents: the nodes' heartbeats carry the rate and latency to the page.
    const helper = await agent(two, 'helper', '/team-alpha', { echo: tool({ input: { type: 'object' }, handler: (args) => args }) });
    await helper.invoke('asp.join', { room: 'reviewers' }).result;
    for (let i = 0; i < 40; i++) await boss.invokeAgent('helper', 'echo', { i }).result;
    await expect.poll(async () => Number(await page.textContent('#k-calls')), { timeout: 20_000 }).toBeGreaterThan(0);
    expect(await page.textContent('#k-latency')).toMatch(/^p50 [\d.]+ ms · p99 [\d.]+ ms$/);

    if (SCREENSHOT) await page.screenshot({ path: SCREENSHOT, fullPage: true });

    // A worker drains the queue: the page counts them finished.
    const worker = new TaskWorker({ agent: workerAgent, store, queue, concurrency: 2 });
    await worker.start();
    await expect.poll(cells, { timeout: 30_000 }).toEqual(['translate', '0', '0', '5', '5']);
    await worker.close();

    release();
    await call.result;
    await expect.poll(() => row.textContent(), { timeout: 20_000 }).toContain('idle');

    // It leaves: the row goes.
    await clients[0]?.close();
    await row.waitFor({ state: 'detached', timeout: 20_000 });
    expect(problems).toEqual([]);
  }, 180_000);
});
