import { connect } from 'node:net';

/** Host and port of a redis:// URL. */
export function redisAddress(url: string): { host: string; port: number } {
  const u = new URL(url);
  if (u.protocol !== 'redis:') throw new Error(`expected a redis:// URL, got ${url}`);
  return { host: u.hostname || '127.0.0.1', port: u.port === '' ? 6379 : Number(u.port) };
}

/** Sends one PING in RESP and resolves true on +PONG; no client library needed to ask "is Redis up?". */
export function pingRedis(url: string, timeoutMs = 1000): Promise<boolean> {
  const { host, port } = redisAddress(url);
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}
