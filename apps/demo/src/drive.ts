import { AgentClient, type Connector, ProtocolError } from '@agentsocket/core';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface DriveOptions {
  connect: Connector;
  /** Where the narration goes. @default process.stdout */
  out?: { write(s: string): unknown };
  token?: string;
}

/**
 * Drives the research agent the way a user would and checks that everything the demo claims
 * actually happened. Returns the checks; the caller decides the exit code.
 */
export async function drive(options: DriveOptions): Promise<Check[]> {
  const out = options.out ?? process.stdout;
  const checks: Check[] = [];
  const check = (name: string, ok: boolean, detail: string) => {
    checks.push({ name, ok, detail });
  };
  const asked: string[] = [];
  const client = new AgentClient({
    connect: options.connect,
    name: 'demo-client',
    ...(options.token === undefined ? {} : { token: options.token }),
    tools: {
      clarify: {
        description: 'Answers a clarifying question from the agent',
        input: {
          type: 'object',
          properties: { question: { type: 'string' }, options: { type: 'array', items: { type: 'string' } } },
          required: ['question', 'options'],
        },
        handler: (args) => {
          const offered: unknown = args['options'];
          const choices = Array.isArray(offered) ? offered.map(String) : [];
          const choice = choices[0] ?? '';
          asked.push(String(args['question']));
          out.write(`\n  ↳ agent asks: ${String(args['question'])}  → client answers: ${choice}\n  `);
          return choice;
        },
      },
    },
  });
  const toolEvents: string[][] = [];
  client.on('tools', (tools) => toolEvents.push(tools.map((t) => t.name)));
  try {
    const t0 = performance.now();
    const info = await client.connect();
    out.write(`connected to ${client.agent?.name} ${client.agent?.version ?? ''} (session ${info.sessionId})\n`);
    out.write(`tools: ${client.tools.map((t) => t.name).join(', ')}\n`);
    check('handshake', client.tools.some((t) => t.name === 'research'), `${(performance.now() - t0).toFixed(1)} ms`);

    out.write('\n> research "jaguar"\n  ');
    // Metrics are sent when asked for (the lean envelope, protocol.md §6): the demo shows them.
    const call = client.invoke<{ summary: string; tokens: number; topic: string }>('research', { topic: 'jaguar' }, { metrics: true });
    let chunks = 0;
    let firstChunkMs = 0;
    for await (const chunk of call) {
      if (chunks === 0) firstChunkMs = performance.now() - t0;
      chunks++;
      out.write(String(chunk));
    }
    const result = await call.result;
    out.write(
      `\n  ✔ COMPLETE: ${result.value.tokens} tokens, ${result.metrics.durationMs.toFixed(1)} ms, cpu ${result.metrics.cpuMs?.toFixed(2) ?? '?'} ms\n`,
    );
    check('streamed tokens', chunks > 20 && result.value.tokens === chunks - 1, `${chunks} chunks, first after ${firstChunkMs.toFixed(1)} ms`);
    check('clarifying question mid-stream', asked.length === 1 && result.value.topic === 'jaguar (the animal)', asked.join(' | '));
    check('metrics', result.metrics.chunks === chunks && result.metrics.durationMs > 0, JSON.stringify(result.metrics));

    const announced = await waitFor(() => client.tools.some((t) => t.name === 'follow_up'), 2000);
    check('tool announced mid-session (TOOL_DEF)', announced, toolEvents.map((e) => e.join(',')).join(' → '));
    if (announced) {
      out.write('\n> follow_up (a tool the agent announced mid-session)\n');
      const follow = await client.invoke<{ answer: string }>('follow_up', { question: 'What is the gist?' }).result;
      out.write(`  ${follow.value.answer}\n`);
      check('follow_up answers', follow.value.answer.includes('jaguar'), follow.value.answer.slice(0, 60));
    }

    out.write('\n> research "the history of tea" — interrupted after 5 tokens\n  ');
    const abort = new AbortController();
    const long = client.invoke('research', { topic: 'the history of tea' }, { signal: abort.signal });
    let seen = 0;
    let interruptCode: number | undefined;
    try {
      for await (const chunk of long) {
        out.write(String(chunk));
        if (++seen === 5) abort.abort();
      }
    } catch (error) {
      if (error instanceof ProtocolError) interruptCode = error.code;
    }
    out.write(`\n  ✔ interrupted (ERROR ${interruptCode ?? 'none'})\n`);
    check('interrupt', interruptCode === 499 && seen >= 5 && seen < 15, `${seen} tokens before the stop, code ${interruptCode}`);

    const bad = await client.invoke('research', { topic: '' }).result.catch((e: unknown) => e);
    check('bad arguments rejected with 422', bad instanceof ProtocolError && bad.code === 422, bad instanceof Error ? bad.message : String(bad));
  } catch (error) {
    check('no unexpected error', false, error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  } finally {
    await client.close();
  }
  return checks;
}

async function waitFor(predicate: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return true;
}
