import { createServer, type Server, Socket } from 'node:net';

/**
 * A TCP proxy in front of a real Redis that counts the commands passing through and, once armed,
 * lets exactly `n` more reach Redis, then cuts every connection and refuses new ones: to the
 * process behind it, Redis is gone between command n and n + 1, as if that process had been
 * killed there. Commands are RESP arrays of bulk strings (what every client sends).
 */
export class RedisCutProxy {
  readonly port: number;
  /** Commands forwarded since arm(). */
  forwarded = 0;
  /** The connections were cut. */
  cut = false;
  private readonly server: Server;
  private readonly pairs = new Set<{ client: Socket; upstream: Socket }>();
  private budget = Number.POSITIVE_INFINITY;
  private onCut: (() => void) | undefined;

  private constructor(server: Server, port: number) {
    this.server = server;
    this.port = port;
  }

  static async start(redisPort: number, redisHost = '127.0.0.1'): Promise<RedisCutProxy> {
    let proxy: RedisCutProxy | undefined;
    const server = createServer((client) => proxy?.accept(client, redisPort, redisHost));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const address = server.address();
    proxy = new RedisCutProxy(server, typeof address === 'object' && address ? address.port : 0);
    return proxy;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** From now on, `n` more commands (0 or more) reach Redis; then `onCut` runs, in the same turn as the cut. */
  arm(n: number, onCut: () => void): void {
    this.forwarded = 0;
    this.budget = n;
    this.onCut = onCut;
  }

  async close(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket, port: number, host: string): void {
    if (this.cut) {
      client.destroy();
      return;
    }
    const upstream = new Socket();
    const pair = { client, upstream };
    this.pairs.add(pair);
    const drop = () => {
      this.pairs.delete(pair);
      client.destroy();
      // An ended upstream still delivers its last command, then closes by itself.
      if (!upstream.writableEnded) upstream.destroy();
    };
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', drop);
    upstream.on('close', drop);
    upstream.connect(port, host);
    upstream.on('data', (d) => {
      if (!this.cut) client.write(d);
    });
    let pending: Buffer = Buffer.alloc(0);
    client.on('data', (d: Buffer) => {
      pending = pending.length === 0 ? d : Buffer.concat([pending, d]);
      for (;;) {
        if (this.cut) return;
        const end = commandEnd(pending);
        if (end < 0) return;
        const command = pending.subarray(0, end);
        pending = pending.subarray(end);
        this.forwarded++;
        if (this.forwarded < this.budget) {
          upstream.write(command);
          continue;
        }
        // The last command goes to Redis, which runs it; its reply never comes back.
        if (this.forwarded === this.budget) upstream.end(command);
        this.cutAll();
        this.onCut?.();
        return;
      }
    });
  }

  private cutAll(): void {
    this.cut = true;
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      if (!upstream.writableEnded) upstream.destroy();
    }
    this.pairs.clear();
  }
}

/** Where the first complete RESP command in `b` ends, or -1 while it is incomplete. */
function commandEnd(b: Buffer): number {
  const line = (from: number): [number, number] | undefined => {
    const cr = b.indexOf('\r\n', from);
    if (cr < 0) return undefined;
    return [Number(b.subarray(from + 1, cr).toString()), cr + 2];
  };
  if (b.length === 0) return -1;
  if (b[0] !== 0x2a) throw new Error(`not a RESP array: ${JSON.stringify(b.subarray(0, 20).toString())}`);
  const head = line(0);
  if (!head) return -1;
  let [count, at] = head;
  for (; count > 0; count--) {
    const bulk = line(at);
    if (!bulk) return -1;
    const [len, start] = bulk;
    at = start + len + 2;
    if (at > b.length) return -1;
  }
  return at;
}
