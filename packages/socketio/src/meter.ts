/**
 * How many bytes a connection has queued for the network, measured from Engine.IO's public
 * events (its write buffers are private or internal).
 */
export interface Meter {
  readonly bytes: number;
  dispose(): void;
}

/** The part of a server-side Engine.IO socket (`socket.conn`) the meter listens to. */
export interface ServerEngineSocket {
  readonly transport: { readonly writable: boolean };
  on(event: 'packetCreate' | 'flush', listener: (packet: unknown) => void): unknown;
  off(event: 'packetCreate' | 'flush', listener: (packet: unknown) => void): unknown;
}

/**
 * Server side: packets enter the write buffer ("packetCreate") and leave it in one batch when
 * the transport can take them ("flush"). The transport is not writable again until that batch
 * is written to the socket (WebSocket) or answered to a poll (long-polling), so the backlog is
 * what is buffered plus the last batch while the transport is still busy with it.
 */
export function serverMeter(conn: ServerEngineSocket): Meter {
  let queued = 0;
  let inFlight = 0;
  const onPacket = (packet: unknown) => {
    queued += packetBytes(packet);
  };
  const onFlush = () => {
    inFlight = queued;
    queued = 0;
  };
  conn.on('packetCreate', onPacket);
  conn.on('flush', onFlush);
  return {
    get bytes() {
      return queued + (conn.transport.writable ? 0 : inFlight);
    },
    dispose() {
      conn.off('packetCreate', onPacket);
      conn.off('flush', onFlush);
    },
  };
}

/** The part of a client-side Engine.IO socket (`socket.io.engine`) the meter listens to. */
export interface ClientEngineSocket {
  on(event: 'packetCreate', listener: (packet: unknown) => void): unknown;
  on(event: 'drain', listener: () => void): unknown;
  off(event: 'packetCreate', listener: (packet: unknown) => void): unknown;
  off(event: 'drain', listener: () => void): unknown;
}

/** Client side: the write buffer keeps packets until written and says "drain" once it is empty. */
export function clientMeter(engine: ClientEngineSocket): Meter {
  let queued = 0;
  const onPacket = (packet: unknown) => {
    queued += packetBytes(packet);
  };
  const onDrain = () => {
    queued = 0;
  };
  engine.on('packetCreate', onPacket);
  engine.on('drain', onDrain);
  return {
    get bytes() {
      return queued;
    },
    dispose() {
      engine.off('packetCreate', onPacket);
      engine.off('drain', onDrain);
    },
  };
}

function packetBytes(packet: unknown): number {
  if (typeof packet !== 'object' || packet === null || !('data' in packet)) return 0;
  const data = packet.data;
  if (typeof data === 'string') return data.length;
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return data.byteLength;
  return 0;
}
