import { AgentClient, AgentServer, type Agent, defineAgent } from '@agentsocket/core';
import { wsConnector, wsServer } from '@agentsocket/ws';
import { describe, expect, it } from 'vitest';
import { parseEffectLine, printingSink } from '../src/agent.js';
import { Ledger } from '../src/ledger.js';
import { tally } from '../src/tally.js';
import { type CallRecord, runWorkload } from '../src/workload.js';

const record = (over: Partial<CallRecord>): CallRecord => ({
  kind: 'exactly-once',
  key: 'k',
  issuedAt: 1000,
  settledAt: 1010,
  status: 'ok',
  error: undefined,
  chunks: { duplicated: 0, reordered: 0, missing: 0 },
  mismatched: false,
  ...over,
});

// The counts are what the suites are judged by, so the counting itself is tested: each kind of
// fault, made on purpose, must show up in the right column.
describe('tally', () => {
  it('counts lost calls, lost effects, missing chunks, duplicated effects and chunks, reorders, re-runs, failures and late calls', () => {
    const ledger = new Ledger();
    ledger.started('effect', 'twice');
    ledger.effect('twice', 'id-1', 'node-1');
    ledger.started('effect', 'twice');
    ledger.effect('twice', 'id-2', 'node-2'); // another idempotency key: applied again
    ledger.started('effect', 'resent');
    ledger.effect('resent', 'id-3', 'node-1');
    ledger.started('effect', 'resent');
    ledger.effect('resent', 'id-3', 'node-3'); // the same key: absorbed
    ledger.started('effect', 'never'); // ran, but its effect never happened
    ledger.started('touch', 'again');
    ledger.started('touch', 'again');
    ledger.started('chunks', 's');
    const t = tally(
      [
        record({ key: 'twice' }),
        record({ key: 'resent' }),
        record({ key: 'never' }),
        record({ key: 'pending', status: 'pending', settledAt: undefined }),
        record({ kind: 'at-least-once', key: 'again' }),
        record({ kind: 'stream', key: 's', chunks: { duplicated: 2, reordered: 1, missing: 3 } }),
        record({ kind: 'at-least-once', key: 'failed', status: 'failed', error: '503 busy' }),
        record({ kind: 'at-least-once', key: 'slow', settledAt: 1000 + 40_000 }),
      ],
      ledger,
      30_000,
    );
    expect(t).toMatchObject({
      calls: 8,
      completed: 6,
      failed: 1,
      failures: { '503 busy': 1 },
      lostCalls: 1,
      lostByKind: { 'exactly-once': 1, 'at-least-once': 0, stream: 0 },
      lostEffects: 1,
      lostChunks: 3,
      lost: 5,
      duplicatedEffects: 1,
      absorbedEffects: 1,
      duplicatedChunks: 2,
      duplicated: 3,
      reordered: 1,
      reruns: { 'exactly-once': 2, 'at-least-once': 1, stream: 0 },
      late: 1,
    });
    expect(ledger.effectNodesOf('twice')).toEqual(['node-1', 'node-2']);
    expect([ledger.attemptsOf('resent'), ledger.effectsOf('resent')]).toEqual([2, 1]);
  });

  it('reads back what a drill node prints, and nothing else', () => {
    const lines: string[] = [];
    const sink = printingSink('node-7', (l) => lines.push(l));
    sink.started('effect', 'a');
    sink.effect('a', '01JEXAMPLE');
    expect(lines.map(parseEffectLine)).toEqual([
      { chaos: 'start', tool: 'effect', key: 'a', node: 'node-7' },
      { chaos: 'effect', tool: 'effect', key: 'a', node: 'node-7', idem: '01JEXAMPLE' },
    ]);
    expect(parseEffectLine('{"event":"ready","node":"node-1","port":1,"pid":2}')).toBeUndefined();
    expect(parseEffectLine('{"chaos":"effect"}')).toBeUndefined();
    expect(parseEffectLine('{"chaos":')).toBeUndefined();
  });

  it('a server that answers a stream out of order, twice or short is caught by the workload', async () => {
    // A deliberately broken agent: chunk 1 twice, then 3 before 2, and chunk 4 never.
    const broken: Agent = defineAgent({
      name: 'broken',
      tools: {
        chunks: {
          async *handler(args) {
            for (const i of [0, 1, 1, 3, 2]) yield { i };
            return { key: args['key'], n: args['n'] };
          },
        },
        effect: { handler: (args) => ({ key: `not-${String(args['key'])}` }) },
        touch: { handler: (args) => ({ key: args['key'] }) },
      },
    });
    const server = await wsServer({ agentServer: new AgentServer(broken), port: 0, host: '127.0.0.1' });
    const client = new AgentClient({ connect: wsConnector({ url: `ws://127.0.0.1:${server.address()?.port}/asp` }) });
    try {
      await client.connect();
      const records = await runWorkload({ clients: [client], calls: 30, inFlight: 4, seed: 1, runId: 'broken', chunks: 5 });
      const t = tally(records, new Ledger(), 30_000);
      expect(t.byKind.stream).toBeGreaterThan(0);
      expect(t.byKind['exactly-once']).toBeGreaterThan(0);
      expect(t.duplicatedChunks).toBe(t.byKind.stream);
      expect(t.reordered).toBe(t.byKind.stream);
      expect(t.lostChunks).toBe(t.byKind.stream);
      // No handler reported an effect, and the exactly-once answers were not the calls' own.
      expect(t.lostEffects).toBe(t.byKind['exactly-once']);
      expect(t.mismatched).toBe(t.byKind['exactly-once']);
    } finally {
      await client.close();
      await server.close();
    }
  });
});
