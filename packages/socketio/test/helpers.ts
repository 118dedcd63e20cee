import {
  type Agent,
  AgentClient,
  type AgentClientOptions,
  AgentServer,
  type AgentServerOptions,
  type ConnectionInfo,
  defineAgent,
  type Transport,
  type TransportCloseInfo,
  tool,
} from '@agentsocket/core';
import { afterEach } from 'vitest';
import { type SocketIoConnectorInit, socketIoConnector } from '../src/index.js';
import { type SocketIoServer, type SocketIoServerInit, socketIoServer } from '../src/index.server.js';

/** An AgentServer that also records the transports it is handed, for tests of the transport itself. */
export class RecordingServer extends AgentServer {
  readonly accepted: Array<{ transport: Transport; info: ConnectionInfo }> = [];
  private waiters: Array<() => void> = [];
  /** When false, transports are only recorded, not taken through the handshake. */
  passThrough = true;

  override accept(transport: Transport, info: ConnectionInfo): void {
    this.accepted.push({ transport, info });
    for (const w of this.waiters.splice(0)) w();
    if (this.passThrough) super.accept(transport, info);
  }

  /** Resolves with the n-th accepted transport (1-based) once it has arrived. */
  async nth(n: number): Promise<{ transport: Transport; info: ConnectionInfo }> {
    for (;;) {
      const found = this.accepted[n - 1];
      if (found) return found;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }
}

/** The agent most tests serve: echo, a stream, a question back to the client and the caller's id. */
export function testAgent(): Agent {
  return defineAgent({
    name: 'sio-test',
    version: '1.0.0',
    tools: {
      echo: tool({ input: { type: 'object' }, handler: (args) => args }),
      count: tool({
        input: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] },
        async *handler(args) {
          const n = Number(args['n']);
          for (let i = 0; i < n; i++) {
            // Yield to the event loop now and then, so a stream interleaves with I/O as a real one would.
            if (i % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
            yield i;
          }
          return { total: n };
        },
      }),
      ask: tool({
        async handler(_args, ctx) {
          const r = await ctx.invokePeer<string>('clarify', { q: 'which?' }).result;
          return { answer: r.value };
        },
      }),
      whoami: tool({ handler: (_args, ctx) => ({ id: ctx.principal?.id ?? null }) }),
      learn: tool({
        handler: (_args, ctx) => {
          ctx.defineTool('learned', { handler: () => 'learned!' });
          return 'ok';
        },
      }),
    },
  });
}

export interface Setup {
  agentServer: RecordingServer;
  server: SocketIoServer;
  url: string;
  connector(init?: Partial<SocketIoConnectorInit>): ReturnType<typeof socketIoConnector>;
  client(options?: Partial<AgentClientOptions>, connector?: Partial<SocketIoConnectorInit>): Promise<AgentClient>;
}

/** Starts an AgentServer on Socket.IO (port 0) and stops it, and every client, after the test. */
export function setup(): (options?: {
  agent?: AgentServerOptions;
  server?: Partial<SocketIoServerInit>;
}) => Promise<Setup> {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  return async (options = {}) => {
    const agentServer = new RecordingServer(testAgent(), { heartbeatMs: 60_000, ...options.agent });
    const server = await socketIoServer({ agentServer, port: 0, host: '127.0.0.1', ...options.server });
    cleanups.push(() => agentServer.close(), () => server.close());
    const url = `http://127.0.0.1:${server.port ?? 0}`;
    const connector = (init: Partial<SocketIoConnectorInit> = {}) => socketIoConnector({ url, ...init });
    return {
      agentServer,
      server,
      url,
      connector,
      async client(clientOptions = {}, connectorInit = {}) {
        const client = new AgentClient({
          connect: connector(connectorInit),
          reconnect: { initialMs: 5, maxMs: 50 },
          ...clientOptions,
        });
        cleanups.push(() => client.close());
        await client.connect();
        return client;
      },
    };
  };
}

/** Resolves with the close info when `transport` closes. Set before start(). */
export function closed(transport: Transport): Promise<TransportCloseInfo> {
  return new Promise((resolve) => {
    transport.onclose = resolve;
  });
}
