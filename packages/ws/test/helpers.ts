import type { IncomingMessage } from 'node:http';
import { AgentServer, type AgentServerOptions, defineAgent, tool } from '@agentsocket/core';
import { type ClientOptions, WebSocket } from 'ws';
import { type WsServer, type WsServerInit, wsServer } from '../src/index.js';

/** A small agent: a streaming tool, a tool that asks the client back, and one that reports who called. */
export function testAgent() {
  return defineAgent({
    name: 'ws-test',
    tools: {
      tokens: tool({
        input: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
        async *handler(args) {
          const words = String(args['text']).split(' ');
          for (const word of words) yield word;
          return { words: words.length };
        },
      }),
      clarify: tool({
        async *handler(_args, ctx) {
          yield 'thinking';
          const answer = await ctx.invokePeer<string>('question', { q: 'which one?' }).result;
          return { answer: answer.value };
        },
      }),
      whoami: { handler: (_args, ctx) => ctx.principal?.id ?? null },
    },
  });
}

/** Starts an AgentServer for `testAgent` on a free local port. */
export async function startServer(
  options: AgentServerOptions = {},
  init: Partial<Omit<WsServerInit, 'agentServer'>> = {},
): Promise<{ agentServer: AgentServer; server: WsServer; url: string }> {
  const agentServer = new AgentServer(testAgent(), options);
  const server = await wsServer({ agentServer, port: 0, host: '127.0.0.1', ...init });
  const url = server.url;
  if (url === undefined) throw new Error('server has no url');
  return { agentServer, server, url };
}

/** Resolves when the socket opens, rejects on its first error. */
export function opened(socket: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
}

export function closed(socket: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

/** Opens a raw socket expected to be refused, and resolves with the HTTP status of the refusal. */
export function refusal(url: string, protocols: string[] = [], options: ClientOptions = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, protocols, options);
    socket.on('error', () => {});
    socket.once('open', () => reject(new Error('the upgrade was accepted')));
    socket.once('unexpected-response', (_req, res: IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => {
        socket.terminate();
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
  });
}
