import { type Agent, defineAgent, ProtocolError, tool } from '@agentsocket/core';
import { generate } from './fake-model.js';

/** Topics that need the caller to say which meaning they want. */
const AMBIGUOUS: Record<string, string[]> = {
  jaguar: ['the animal', 'the car maker'],
  python: ['the snake', 'the programming language'],
  mercury: ['the planet', 'the element'],
};

export interface ResearchResult {
  topic: string;
  summary: string;
  tokens: number;
  sources: string[];
}

/**
 * The one agent program of this repository: a research assistant. It streams tokens from a fake
 * model, asks its caller a clarifying question mid-stream when a topic is ambiguous, and
 * announces a new tool (`follow_up`) mid-session once it has notes to follow up on.
 */
export function createResearchAgent(options: { tokenDelayMs?: number } = {}): Agent {
  return defineAgent({
    name: 'research-assistant',
    version: '1.0.0',
    tools: {
      research: tool({
        description: 'Research a topic; streams the answer token by token',
        input: {
          type: 'object',
          properties: { topic: { type: 'string', minLength: 1 } },
          required: ['topic'],
          additionalProperties: false,
        },
        async *handler(args, ctx): AsyncGenerator<string, ResearchResult> {
          let topic = String(args['topic']);
          const meanings = AMBIGUOUS[topic.toLowerCase()];
          if (meanings) {
            yield `(“${topic}” can mean ${meanings.join(' or ')}; asking…) `;
            // Full duplex: the agent calls a tool the client serves, mid-stream.
            const answer = await ctx.invokePeer<string>(
              'clarify',
              { question: `Which ${topic} do you mean?`, options: meanings },
              { signal: ctx.signal },
            ).result;
            if (!meanings.includes(answer.value)) {
              throw new ProtocolError(422, `clarify answered "${answer.value}", expected one of: ${meanings.join(', ')}`);
            }
            topic = `${topic} (${answer.value})`;
          }
          let summary = '';
          let tokens = 0;
          for await (const token of generate(topic, { signal: ctx.signal, ...options })) {
            summary += token;
            tokens++;
            yield token;
          }
          const sources = [`encyclopedia:${slug(topic)}`, `journal:${slug(topic)}-review`, `dataset:${slug(topic)}`];
          // Announce a tool mid-session (TOOL_DEF) that knows this session's notes.
          try {
            ctx.defineTool('follow_up', {
              description: `Ask a follow-up question about the last research (${topic})`,
              input: { type: 'object', properties: { question: { type: 'string' } }, required: ['question'] },
              handler: (a) => ({
                question: a['question'],
                answer: `Based on ${sources.length} sources about ${topic}: ${summary.split('. ')[0]}.`,
              }),
            });
          } catch {
            // Already announced in this session by an earlier call.
          }
          return { topic, summary, tokens, sources };
        },
      }),
      ping: tool({
        description: 'Replies with what it was sent (a cheap round trip)',
        input: { type: 'object' },
        handler: (args) => args,
      }),
    },
  });
}

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}
