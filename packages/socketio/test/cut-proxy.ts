import { createConnection, createServer, type Socket } from 'node:net';

/** What the proxy does to a connection once the server's Engine.IO open packet has gone down. */
export type CutStage =
  /** Pass everything (the connection works). */
  | 'pass'
  /** Destroy both TCP sockets right after forwarding the open packet. */
  | 'after-open'
  /** Forward the open packet, then destroy both sockets when the client's next bytes (the namespace CONNECT) arrive. */
  | 'on-join'
  /** Forward the open packet, then send the client a WebSocket frame with a reserved opcode. */
  | 'garbage'
  /** Forward the open packet, then forward nothing more either way (the TCP connection stays up). */
  | 'stall';

export interface CutProxy {
  readonly url: string;
  /** The stage for each new connection; change it between attempts. */
  stage: CutStage;
  /** Connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

/**
 * A TCP proxy in front of a Socket.IO server that cuts a WebSocket connection at a chosen point
 * of the Socket.IO handshake. The open packet is the first server message carrying `"sid"`:
 * the server sends it unasked, so no namespace reply can ride in the same read.
 */
export async function cutProxy(targetPort: number, stage: CutStage = 'pass'): Promise<CutProxy> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const state = { stage };
  const server = createServer((client) => {
    connections++;
    const mode = state.stage;
    const upstream = createConnection(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
    }
    const cut = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    let opened = false;
    let seen = '';
    upstream.on('data', (chunk: Buffer) => {
      if (opened) {
        if (mode !== 'stall') client.write(chunk);
        return;
      }
      client.write(chunk);
      seen += chunk.toString('latin1');
      if (!seen.includes('"sid"')) return;
      opened = true;
      if (mode === 'after-open') cut();
      // FIN, opcode 3 (reserved), no payload: the client's WebSocket fails with a protocol error.
      if (mode === 'garbage') client.write(Buffer.from([0x83, 0x00]));
    });
    client.on('data', (chunk: Buffer) => {
      if (!opened) {
        upstream.write(chunk);
        return;
      }
      if (mode === 'on-join') cut();
      else if (mode !== 'stall') upstream.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    get stage() {
      return state.stage;
    },
    set stage(next: CutStage) {
      state.stage = next;
    },
    get connections() {
      return connections;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
