import { createServer } from 'node:net';
import { AgentClient, AgentServer } from '@agentsocket/core';
import { describe, expect, it } from 'vitest';
import { socketIoConnector } from '../src/index.js';
import { socketIoServer } from '../src/index.server.js';
import { testAgent } from './helpers.js';

/** A port nothing listens on: bound once for a number, then released. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

describe('Socket.IO connection errors and close()', () => {
  it('a refused connection names the URL, the namespace and the cause', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const connect = socketIoConnector({ url });
    await expect(connect(new AbortController().signal)).rejects.toMatchObject({
      code: 'HANDSHAKE_FAILED',
      message: expect.stringMatching(new RegExp(`^cannot connect to ${url}/asp over Socket\\.IO: websocket error \\(.*ECONNREFUSED.*\\)$`)),
    });
    const polling = socketIoConnector({ url, namespace: '/team', transports: ['polling'] });
    await expect(polling(new AbortController().signal)).rejects.toMatchObject({
      code: 'HANDSHAKE_FAILED',
      message: expect.stringContaining(`cannot connect to ${url}/team over Socket.IO: xhr poll error`),
    });
  });

  it('close() closes the AgentServer too, as wsServer().close() does', async () => {
    const agentServer = new AgentServer(testAgent());
    const server = await socketIoServer({ agentServer, port: 0, host: '127.0.0.1' });
    const client = new AgentClient({ connect: socketIoConnector({ url: `http://127.0.0.1:${server.port}` }), reconnect: false });
    await client.connect();
    expect(agentServer.sessionCount).toBe(1);
    const gone = new Promise<void>((resolve) => client.on('disconnect', () => resolve()));
    await server.close();
    await gone;
    // No session left waiting for a resume, so no timer keeps the process alive.
    expect(agentServer.sessionCount).toBe(0);
    await client.close();
  });
});
