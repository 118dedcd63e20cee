import { connect, createServer, type Server, type Socket } from 'node:net';
import { Rng } from './rng.js';

/*
 * Our own proxy on node:net rather than Toxiproxy (the usual library for this): Toxiproxy draws
 * its faults from an unseeded source, cannot give each connection its own random lifetime, and
 * has no fault that sends a connection attempt twice; it is also a Go server that CI would have
 * to install and drive over HTTP. What we need is ~250 lines, tested in test/proxy.test.ts.
 */

export interface Range {
  minMs: number;
  maxMs: number;
}

export interface ChaosOptions {
  /** Port to forward to, on `upstreamHost`. */
  upstreamPort: number;
  /** @default '127.0.0.1' */
  upstreamHost?: string;
  /** Port to listen on, on 127.0.0.1. @default a free one */
  port?: number;
  /** Seeds every random choice: the same seed and the same traffic give the same faults. */
  seed: number;
  /**
   * Cut every connection after a lifetime drawn from this range: both sides are reset (RST), or
   * ended with a FIN when `mode` is 'end'. Buffered bytes are dropped, as a network failure would.
   */
  cut?: Range & { mode?: 'reset' | 'end' };
  /** Hold every chunk this long before passing it on, in order, both ways. */
  delay?: Range;
  /**
   * With this probability a connection stalls once, `after` into its life: nothing is passed
   * either way (and nothing read) for a time drawn from `for`, and nothing is closed.
   */
  stall?: { probability: number; after: Range; for: Range };
  /**
   * With this probability a connection attempt reaches the upstream twice: a second upstream
   * connection gets the same client bytes for `windowMs` (the handshake, the HELLO with its
   * resume token, the first frames); its answers are discarded and it is closed after `holdMs`.
   * This is what a proxy that retries a slow upgrade does.
   */
  duplicate?: { probability: number; windowMs: number; holdMs: Range };
  /**
   * When a connection is cut, close its upstream side this much later: the upstream learns of
   * the drop only after the client may already have reconnected (events reach it out of order).
   */
  lingerUpstream?: Range;
  /** Told of each fault planned for a connection, when the connection opens (for logs and tests). */
  onFault?: (fault: PlannedFault) => void;
}

/** A fault drawn for one connection: `atMs` after it opened, lasting `forMs` (stall, duplicate hold, linger). */
export interface PlannedFault {
  kind: 'cut' | 'stall' | 'duplicate';
  /** 1 for the first connection the proxy accepted. */
  connection: number;
  atMs: number;
  forMs: number;
}

export interface ChaosStats {
  connections: number;
  /** Connections cut by the `cut` fault. */
  cuts: number;
  stalls: number;
  duplicates: number;
  bytesUp: number;
  bytesDown: number;
}

/** The part of a connection that holds chunks back (delay, stall) and keeps their order. */
class Forwarder {
  private readonly queue: Array<{ at: number; chunk: Buffer }> = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private waitingDrain = false;
  private stopped = false;
  stalledUntil = 0;
  ended = false;
  /** Extra sinks (a duplicate attempt's upstream) that get the same bytes while they are open. */
  readonly copies = new Set<Socket>();

  constructor(
    private readonly from: Socket,
    private readonly to: Socket,
    delay: () => number,
    private readonly count: (n: number) => void,
  ) {
    from.on('data', (chunk: Buffer) => {
      if (this.stopped) return;
      this.queue.push({ at: Date.now() + delay(), chunk });
      this.pump();
    });
    from.on('end', () => {
      this.ended = true;
      this.pump();
    });
  }

  stall(ms: number): void {
    this.stalledUntil = Date.now() + ms;
    this.from.pause();
    this.pump();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
  }

  private pump(): void {
    if (this.timer) return;
    const now = Date.now();
    if (now < this.stalledUntil) {
      this.timer = setTimeout(() => this.wake(), this.stalledUntil - now);
      return;
    }
    if (this.from.isPaused() && !this.waitingDrain) this.from.resume();
    while (this.queue.length > 0) {
      const head = this.queue[0];
      if (!head) break;
      if (head.at > now) {
        this.timer = setTimeout(() => this.wake(), head.at - now);
        return;
      }
      this.queue.shift();
      if (this.to.destroyed) return;
      this.count(head.chunk.length);
      for (const copy of this.copies) if (!copy.destroyed) copy.write(head.chunk);
      if (!this.to.write(head.chunk) && !this.waitingDrain) {
        // The far side reads slower than we receive: push back on the sender, as TCP would.
        this.waitingDrain = true;
        this.from.pause();
        this.to.once('drain', () => {
          this.waitingDrain = false;
          this.pump();
        });
      }
    }
    if (this.ended && !this.to.destroyed) this.to.end();
  }

  private wake(): void {
    this.timer = undefined;
    this.pump();
  }
}

export interface ChaosProxy {
  readonly port: number;
  readonly stats: ChaosStats;
  /** Faults on (the default) or off; off, the proxy only forwards. Connections open now keep their fate. */
  setFaults(on: boolean): void;
  /** Cuts every open connection now. */
  cutAll(): void;
  /** Stops listening and destroys every connection. */
  close(): Promise<void>;
}

/** A TCP proxy in front of one upstream that cuts, delays, stalls and duplicates connections. */
export async function startChaosProxy(options: ChaosOptions): Promise<ChaosProxy> {
  const rng = new Rng(options.seed);
  const host = options.upstreamHost ?? '127.0.0.1';
  const stats: ChaosStats = { connections: 0, cuts: 0, stalls: 0, duplicates: 0, bytesUp: 0, bytesDown: 0 };
  const open = new Set<() => void>();
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  let faults = true;
  const draw = (r: Range | undefined) => (r ? rng.int(r.minMs, r.maxMs) : 0);

  const onConnection = (client: Socket) => {
    stats.connections++;
    const id = stats.connections;
    const plan = (kind: PlannedFault['kind'], atMs: number, forMs: number) => options.onFault?.({ kind, connection: id, atMs, forMs });
    client.setNoDelay(true);
    const upstream = connect({ port: options.upstreamPort, host, allowHalfOpen: true });
    upstream.setNoDelay(true);
    track(client);
    track(upstream);
    const chaos = faults;
    const delayed = chaos && options.delay !== undefined;
    const delay = delayed ? () => draw(options.delay) : () => 0;
    const up = new Forwarder(client, upstream, delay, (n) => {
      stats.bytesUp += n;
    });
    const down = new Forwarder(upstream, client, delay, (n) => {
      stats.bytesDown += n;
    });
    const timers: Array<ReturnType<typeof setTimeout>> = [];
    const dups: Socket[] = [];
    let done = false;
    let lingering = false;
    const finish = () => {
      if (done) return;
      done = true;
      for (const t of timers) clearTimeout(t);
      up.stop();
      down.stop();
      open.delete(cutNow);
    };
    let linger = 0;
    const cutNow = () => {
      if (done) return;
      finish();
      stats.cuts++;
      if (options.cut?.mode === 'end') client.end();
      else client.resetAndDestroy();
      const closeUpstream = () => (options.cut?.mode === 'end' ? upstream.end() : upstream.resetAndDestroy());
      if (linger > 0) {
        lingering = true;
        setTimeout(closeUpstream, linger);
      } else closeUpstream();
    };
    // A side that closes or fails takes the other with it; its bytes already sent stay sent.
    client.on('error', () => {});
    upstream.on('error', () => {});
    client.on('close', () => {
      finish();
      if (!lingering && !upstream.destroyed) upstream.destroy();
    });
    upstream.on('close', () => {
      finish();
      if (!client.destroyed) client.destroy();
    });
    open.add(cutNow);
    if (!chaos) return;
    linger = draw(options.lingerUpstream);
    if (options.cut) {
      const after = draw(options.cut);
      plan('cut', after, linger);
      timers.push(setTimeout(cutNow, after));
    }
    if (options.stall && rng.chance(options.stall.probability)) {
      const length = draw(options.stall.for);
      const after = draw(options.stall.after);
      plan('stall', after, length);
      timers.push(
        setTimeout(() => {
          stats.stalls++;
          up.stall(length);
          down.stall(length);
        }, after),
      );
    }
    if (options.duplicate && rng.chance(options.duplicate.probability)) {
      stats.duplicates++;
      const dup = connect({ port: options.upstreamPort, host });
      dup.on('error', () => {});
      track(dup);
      dup.resume(); // its answers go nowhere
      dups.push(dup);
      up.copies.add(dup);
      const hold = draw(options.duplicate.holdMs);
      plan('duplicate', 0, options.duplicate.windowMs + hold);
      setTimeout(() => up.copies.delete(dup), options.duplicate.windowMs);
      setTimeout(() => dup.destroy(), options.duplicate.windowMs + hold);
    }
  };

  const server: Server = createServer({ allowHalfOpen: true }, onConnection);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: options.port ?? 0, host: '127.0.0.1' }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    port,
    stats,
    setFaults(on) {
      faults = on;
    },
    cutAll() {
      for (const cut of [...open]) cut();
    },
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of [...sockets]) socket.destroy();
      await closed;
    },
  };
}
