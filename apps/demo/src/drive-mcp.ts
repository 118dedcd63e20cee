import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ElicitRequestSchema, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Check } from './drive.js';

/**
 * Drives the same research agent through an MCP client (the agent is served by the MCP bridge,
 * its code unchanged) and checks the same things the ASP driver does, in MCP's terms:
 * STREAM → notifications/progress, the agent's question → elicitation, TOOL_DEF → list_changed,
 * interrupt → notifications/cancelled.
 */
export async function driveMcp(client: Client, out: { write(s: string): unknown }): Promise<Check[]> {
  const checks: Check[] = [];
  const check = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
  const asked: string[] = [];
  client.setRequestHandler(ElicitRequestSchema, (request) => {
    const answer = firstChoice('requestedSchema' in request.params ? request.params.requestedSchema : undefined);
    asked.push(request.params.message);
    out.write(`\n  ↳ agent asks (elicitation): ${request.params.message}  → client answers: ${answer}\n  `);
    return { action: 'accept', content: { answer } };
  });
  let listChanged = 0;
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
    listChanged++;
  });
  try {
    const t0 = performance.now();
    const tools = (await client.listTools()).tools.map((t) => t.name);
    out.write(`tools: ${tools.join(', ')}\n`);
    check('handshake', tools.includes('research'), `${(performance.now() - t0).toFixed(1)} ms`);

    out.write('\n> research "jaguar"\n  ');
    let chunks = 0;
    const result = await client.callTool({ name: 'research', arguments: { topic: 'jaguar' } }, undefined, {
      onprogress: (p) => {
        chunks++;
        out.write(p.message ?? '');
      },
    });
    const value = result.structuredContent;
    const tokens = typeof value === 'object' && value !== null && 'tokens' in value ? Number(value.tokens) : -1;
    const topic = typeof value === 'object' && value !== null && 'topic' in value ? String(value.topic) : '';
    out.write(`\n  ✔ result: ${tokens} tokens\n`);
    check('streamed tokens (progress)', chunks > 20 && tokens === chunks - 1, `${chunks} progress notifications`);
    check('clarifying question mid-stream (elicitation)', asked.length === 1 && topic === 'jaguar (the animal)', asked.join(' | '));

    const announced = await waitFor(() => listChanged > 0, 2000);
    const listed = (await client.listTools()).tools.map((t) => t.name);
    check('tool announced mid-session (list_changed)', announced && listed.includes('follow_up'), listed.join(','));
    if (listed.includes('follow_up')) {
      const follow = await client.callTool({ name: 'follow_up', arguments: { question: 'What is the gist?' } });
      const text = JSON.stringify(follow.structuredContent ?? follow.content);
      out.write(`\n> follow_up\n  ${text.slice(0, 100)}\n`);
      check('follow_up answers', text.includes('jaguar'), text.slice(0, 60));
    }

    out.write('\n> research "the history of tea" — cancelled after 5 tokens\n  ');
    const abort = new AbortController();
    let seen = 0;
    const cancelled = await client
      .callTool({ name: 'research', arguments: { topic: 'the history of tea' } }, undefined, {
        signal: abort.signal,
        onprogress: (p) => {
          out.write(p.message ?? '');
          if (++seen === 5) abort.abort('enough');
        },
      })
      .then(
        () => false,
        () => true,
      );
    out.write('\n  ✔ cancelled\n');
    check('interrupt (notifications/cancelled)', cancelled && seen >= 5, `${seen} tokens before the stop`);

    const bad = await client.callTool({ name: 'research', arguments: { topic: '' } }).catch((e: unknown) => e);
    const rejected = bad instanceof Error || (typeof bad === 'object' && bad !== null && 'isError' in bad && bad.isError === true);
    check('bad arguments rejected', rejected, bad instanceof Error ? bad.message.slice(0, 80) : 'isError result');
  } catch (error) {
    check('no unexpected error', false, error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  }
  return checks;
}

function firstChoice(schema: unknown): string {
  if (typeof schema !== 'object' || schema === null || !('properties' in schema)) return '';
  const props = schema.properties;
  if (typeof props !== 'object' || props === null) return '';
  for (const p of Object.values(props)) {
    if (typeof p === 'object' && p !== null && 'enum' in p && Array.isArray(p.enum) && typeof p.enum[0] === 'string') return p.enum[0];
  }
  return '';
}

async function waitFor(predicate: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return true;
}
